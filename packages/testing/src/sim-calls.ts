import { MeshError } from "@mesh/interface";
import type { SimNetwork, SimNode } from "./sim-network.js";

/*
 * A simulated call transport beside the simulated network: it implements
 * @mesh/node's CallTransport structurally (this package cannot import node).
 * Calls and replies take the network's clock and a fixed one-way delay, values
 * cross as structured clones (a function is refused, as the wire codec refuses
 * it), the caller's side owns the timeout, and a crashed member's calls fail
 * with MESH_ERR_NODE_UNREACHABLE as a reset connection would. The network's
 * partitions and loss apply: a call or reply across a partition is swallowed
 * (the caller's timeout ends it), and a lossy link slows it as TCP's
 * retransmissions would.
 */

/** The call fields a node sends (OutgoingCall in @mesh/node). */
export interface SimOutgoingCall {
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly payload?: unknown;
  readonly initArg?: unknown;
  readonly chain?: readonly string[];
  readonly hops?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** W3C trace context, carried to the callee as the TCP transport carries it. */
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/** What a node's handler receives (IncomingCall in @mesh/node). */
export interface SimCallHandler {
  onCall(call: SimIncomingCall): Promise<unknown>;
  onCast(cast: SimIncomingCall): void;
}

export class SimIncomingCall {
  #abandonedBy: MeshError | undefined;
  #controller: AbortController | undefined;

  constructor(
    readonly module: string,
    readonly id: string,
    readonly capability: string,
    readonly payload: unknown,
    readonly initArg: unknown,
    readonly chain: readonly string[],
    readonly hops: number,
    readonly timeoutMs: number,
    readonly deadline: number,
    readonly remoteAddress: string,
    readonly traceparent: string | undefined = undefined,
    readonly tracestate: string | undefined = undefined,
  ) {}

  get abandoned(): boolean {
    return this.#abandonedBy !== undefined;
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#abandonedBy !== undefined && !this.#controller.signal.aborted) this.#controller.abort(this.#abandonedBy);
    return this.#controller.signal;
  }

  abandon(error: MeshError): void {
    if (this.#abandonedBy !== undefined) return;
    this.#abandonedBy = error;
    this.#controller?.abort(error);
  }
}

export interface SimCallNetworkInit {
  /** One-way delay of a call or a reply, in ms. @default 1 */
  readonly delayMs?: number;
  /** The port every endpoint takes calls on. @default 7947 */
  readonly port?: number;
}

/** The call side of a SimNetwork: one endpoint per simulated member. */
export class SimCallNetwork {
  readonly #net: SimNetwork;
  readonly delayMs: number;
  readonly port: number;
  readonly #endpoints = new Map<string, SimCallEndpoint>();
  /** Calls delivered (counted at the callee), for assertions. */
  delivered = 0;

  constructor(net: SimNetwork, init: SimCallNetworkInit = {}) {
    this.#net = net;
    this.delayMs = init.delayMs ?? 1;
    this.port = init.port ?? 7947;
  }

  /** The call endpoint of `node` ("host:port" = node's host, this network's port). */
  endpoint(node: SimNode): SimCallEndpoint {
    const endpoint = new SimCallEndpoint(this, this.#net, node);
    this.#endpoints.set(endpoint.address, endpoint);
    return endpoint;
  }

  /** The member dies: its calls in flight, both ways, fail as a reset connection would. */
  crash(node: SimNode): void {
    node.crash();
    for (const endpoint of this.#endpoints.values()) endpoint.peerGone(`${node.address.host}:${this.port}`);
  }

  /** @internal */
  target(address: string): SimCallEndpoint | undefined {
    return this.#endpoints.get(address);
  }
}

interface Pending {
  readonly to: string;
  readonly fail: (error: MeshError) => void;
}

export class SimCallEndpoint {
  readonly #calls: SimCallNetwork;
  readonly #net: SimNetwork;
  readonly node: SimNode;
  readonly address: string;
  /** @internal who serves calls to this endpoint (undefined before start and after stop). */
  handler: SimCallHandler | undefined;
  readonly #pending = new Set<Pending>();

  constructor(calls: SimCallNetwork, net: SimNetwork, node: SimNode) {
    this.#calls = calls;
    this.#net = net;
    this.node = node;
    this.address = `${node.address.host}:${calls.port}`;
  }

  get port(): number {
    return this.#calls.port;
  }

  async start(handler: SimCallHandler): Promise<void> {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.handler = undefined;
    for (const pending of [...this.#pending]) pending.fail(unreachable(pending.to, "the call client is stopped"));
  }

  cast(address: string, request: SimOutgoingCall): void {
    const message = this.#incoming(request, 0);
    if (message === undefined) return;
    this.#toward(address, () => {
      const target = this.#live(address);
      if (target !== undefined && !this.#net.partitioned(this.node.address, target.node.address)) {
        target.handler?.onCast(message);
      }
    });
  }

  call(address: string, request: SimOutgoingCall): Promise<unknown> {
    const timeoutMs = request.timeoutMs ?? 5_000;
    return new Promise<unknown>((resolve, reject) => {
      let open = true;
      let incoming: SimIncomingCall | undefined;
      const clock = this.node.clock;
      const settle = (fn: () => void): void => {
        if (!open) return;
        open = false;
        clock.clearTimeout(timer);
        request.signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(pending);
        this.#net.noteAsyncWork();
        fn();
      };
      const pending: Pending = { to: address, fail: (error) => settle(() => reject(error)) };
      const onAbort = (): void => {
        const error = new MeshError("MESH_ERR_ABORTED", "the call was aborted by its caller");
        incoming?.abandon(error);
        settle(() => reject(error));
      };
      const timer = clock.setTimeout(() => {
        const error = new MeshError("MESH_ERR_TIMEOUT", `no reply from ${address} within ${timeoutMs} ms`, {
          details: { timeoutMs },
        });
        incoming?.abandon(error);
        settle(() => reject(error));
      }, timeoutMs);
      request.signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.add(pending);
      let copy: SimIncomingCall | undefined;
      try {
        copy = this.#incoming(request, timeoutMs);
      } catch (error) {
        settle(() => reject(error));
        return;
      }
      this.#toward(address, () => {
        const target = this.#live(address);
        if (target?.handler === undefined || copy === undefined) {
          this.#later(() => pending.fail(unreachable(address, "connection refused")));
          return;
        }
        // A partition swallows the call (no reset): only the caller's timeout ends it.
        if (this.#net.partitioned(this.node.address, target.node.address)) return;
        incoming = copy;
        this.#calls.delivered++;
        target.handler.onCall(copy).then(
          (reply) => {
            let cloned: unknown;
            try {
              cloned = structuredClone(reply);
            } catch (cause) {
              cloned = new MeshError("MESH_ERR_UNENCODABLE", "the reply cannot be encoded for the wire", { cause });
            }
            this.#reply(target, address, () =>
              cloned instanceof MeshError ? settle(() => reject(cloned)) : settle(() => resolve(cloned)),
            );
          },
          (error: unknown) => {
            const sent =
              error instanceof MeshError
                ? new MeshError(
                    error.code,
                    error.message,
                    error.details === undefined ? {} : { details: error.details },
                  )
                : new MeshError("MESH_ERR_ACTOR_THREW", error instanceof Error ? error.message : String(error));
            this.#reply(target, address, () => settle(() => reject(sent)));
          },
        );
      });
    });
  }

  closePeer(address: string, reason: string): void {
    this.peerGone(address, reason);
  }

  /** A simulated link holds no connection state, so there is nothing to replace. */
  resetPeer(_address: string): void {}

  /** @internal fails every call in flight to `address`. */
  peerGone(address: string, reason = "the connection was reset"): void {
    for (const pending of [...this.#pending]) if (pending.to === address) pending.fail(unreachable(address, reason));
  }

  /** Delivers the reply after the delay, unless the callee died meanwhile (its calls failed then). */
  #reply(target: SimCallEndpoint, address: string, deliver: () => void): void {
    if (target.node.crashed) return;
    const penalty = this.#net.streamPenalty(target.node.address, this.node.address);
    if (penalty === undefined) return;
    this.#later(() => {
      if (target.node.crashed) this.peerGone(address);
      else deliver();
    }, penalty);
  }

  /** Sends toward the member at call `address`: swallowed by a partition, slowed by loss. */
  #toward(address: string, fn: () => void): void {
    const target = this.#calls.target(address);
    const penalty = target === undefined ? 0 : this.#net.streamPenalty(this.node.address, target.node.address);
    if (penalty !== undefined) this.#later(fn, penalty);
  }

  #live(address: string): SimCallEndpoint | undefined {
    const target = this.#calls.target(address);
    return target === undefined || target.node.crashed ? undefined : target;
  }

  #later(fn: () => void, extraMs = 0): void {
    this.node.clock.setTimeout(() => {
      this.#net.noteAsyncWork();
      fn();
    }, this.#calls.delayMs + extraMs);
  }

  #incoming(request: SimOutgoingCall, timeoutMs: number): SimIncomingCall {
    let payload: unknown;
    let initArg: unknown;
    try {
      payload = structuredClone(request.payload);
      initArg = structuredClone(request.initArg);
    } catch (cause) {
      throw new MeshError("MESH_ERR_UNENCODABLE", "the payload cannot be encoded for the wire", { cause });
    }
    const now = this.node.clock.now() + this.#calls.delayMs;
    return new SimIncomingCall(
      request.module,
      request.id,
      request.capability,
      payload,
      initArg,
      [...(request.chain ?? [])],
      request.hops ?? 0,
      timeoutMs,
      now + timeoutMs,
      this.address,
      request.traceparent,
      request.traceparent === undefined ? undefined : request.tracestate,
    );
  }
}

function unreachable(address: string, reason: string): MeshError {
  return new MeshError("MESH_ERR_NODE_UNREACHABLE", `${address}: ${reason}`, { details: { address } });
}
