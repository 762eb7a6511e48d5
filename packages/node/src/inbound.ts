import { type Clock, type Logger, MeshError, tickClockOf } from "@mesh/interface";
import { Attempt, type CallRouter } from "./call-router.js";
import type { CallHandler, IncomingCall, IncomingCast } from "./call-transport/index.js";
import { decodeCast, decodeHandoff, type HandoffReceiver, isControl } from "./control.js";
import type { Routing } from "./routing.js";
import type { Tracing } from "./tracing.js";

/**
 * After announcing its leave, a stopping node keeps serving (forwarding) until no
 * call has reached it for this long: callers that had not heard of the leave yet
 * still get answers, and the ones that have heard send elsewhere.
 */
const LEAVE_QUIET_MS = 250;

/**
 * Serving what other nodes send: calls and casts enter the router loop; handoff
 * messages go to the typed receiver. Counts what is in flight, for the leave drain.
 */
export class Inbound implements CallHandler {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #router: CallRouter;
  readonly #routing: Routing;
  readonly #handoffs: HandoffReceiver;
  readonly #tracing: Tracing;
  #inFlight = 0;
  #lastArrivalAt = Number.NEGATIVE_INFINITY;
  /** Set when the node has stopped: nothing more is served. */
  closed = false;

  /** A one-way cast has no deadline of its own; forwarding it gets this long. */
  readonly #castTimeoutMs: number;

  constructor(
    clock: Clock,
    logger: Logger,
    router: CallRouter,
    routing: Routing,
    handoffs: HandoffReceiver,
    castTimeoutMs: number,
    tracing: Tracing,
  ) {
    this.#castTimeoutMs = castTimeoutMs;
    this.#tracing = tracing;
    this.#clock = tickClockOf(clock); // read on every arrival
    this.#logger = logger;
    this.#router = router;
    this.#routing = routing;
    this.#handoffs = handoffs;
  }

  async onCall(call: IncomingCall): Promise<unknown> {
    this.#inFlight++;
    this.#lastArrivalAt = this.#clock.now();
    try {
      if (isControl(call.module)) {
        const cast = decodeCast(call);
        if (cast === undefined) await this.#handoffs.receive(decodeHandoff(call));
        else if (this.closed) throw stopped(this.#routing.name);
        else await this.#router.castArrived(call, call.deadline, cast.module, cast.payload);
        return [this.#routing.name, null];
      }
      if (this.closed) throw stopped(this.#routing.name);
      const attempt = new Attempt(
        call.module,
        call.id,
        call.capability,
        this.#routing.shardOf(call.id),
        call.payload,
        call.initArg,
        call.chain,
        call.hops,
        call.deadline,
        call.timeoutMs,
        undefined,
        false,
        call,
      );
      const trace = this.#tracing.serve(attempt, call);
      attempt.trace = trace;
      return await trace.settle(this.#router.route(attempt));
    } finally {
      this.#inFlight--;
    }
  }

  onCast(cast: IncomingCast): void {
    if (this.closed) return;
    this.#router.castArrived(cast, this.#clock.now() + this.#castTimeoutMs).catch((error: unknown) =>
      this.#logger.warn("a cast from another node failed", {
        module: cast.module,
        id: cast.id,
        error: String(error),
      }),
    );
  }

  /** The leave drain: resolves once no call from another node is in flight and none arrived for LEAVE_QUIET_MS. */
  async quiet(): Promise<void> {
    const clock = this.#clock;
    for (;;) {
      const sinceLast = clock.now() - this.#lastArrivalAt;
      if (this.#inFlight === 0 && sinceLast >= LEAVE_QUIET_MS) return;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(10, LEAVE_QUIET_MS - sinceLast)));
    }
  }
}

function stopped(name: string): MeshError {
  return new MeshError("MESH_ERR_NODE_STOPPED", `node ${name} is stopped`);
}
