import type { ActorClass, CallResult } from "@mesh/actors";
import type { Request } from "./request.js";

/** The payload type an actor class's `handleCall` takes (unknown when it declares none). */
export type CallPayloadOf<A extends ActorClass> = InstanceType<A> extends {
  handleCall(payload: infer P, ...rest: never[]): unknown;
}
  ? P
  : never;

/** The reply type an actor class's `handleCall` gives, promise unwrapped. */
export type CallReplyOf<A extends ActorClass> = InstanceType<A> extends {
  handleCall(...args: never[]): infer R;
}
  ? Awaited<R>
  : never;

/** The payload type of `handleCast`. */
export type CastPayloadOf<A extends ActorClass> = InstanceType<A> extends {
  handleCast(payload: infer P, ...rest: never[]): unknown;
}
  ? P
  : never;

/** Per-call options of an {@link ActorRef}. */
export type RefCallOptions = Pick<Request, "initArg" | "timeoutMs" | "signal" | "waitForNodes">;

/** What an {@link ActorRef} calls through (the node). */
export interface RefTarget {
  call<R>(request: Request): Promise<CallResult<R>>;
  cast(request: Request): Promise<void>;
}

/**
 * A typed reference to one actor: `node.ref(GameActor, "player_1", "game")`.
 * `call` takes what the class's `handleCall` takes and resolves with what it
 * returns, checked at compile time.
 */
export class ActorRef<A extends ActorClass> {
  readonly #target: RefTarget;
  readonly actorClass: A;
  readonly id: string;
  readonly capability: string;

  constructor(target: RefTarget, actorClass: A, id: string, capability: string) {
    this.#target = target;
    this.actorClass = actorClass;
    this.id = id;
    this.capability = capability;
  }

  /** Calls the actor and resolves with its reply. */
  async call(payload: CallPayloadOf<A>, options: RefCallOptions = {}): Promise<CallReplyOf<A>> {
    const result = await this.#target.call<CallReplyOf<A>>(this.#request(payload, options));
    return result.response;
  }

  /** Calls the actor and resolves with its reply and the activation that gave it. */
  callWithPid(payload: CallPayloadOf<A>, options: RefCallOptions = {}): Promise<CallResult<CallReplyOf<A>>> {
    return this.#target.call<CallReplyOf<A>>(this.#request(payload, options));
  }

  cast(payload: CastPayloadOf<A>, options: Pick<Request, "initArg"> = {}): Promise<void> {
    return this.#target.cast(this.#request(payload, options));
  }

  #request(payload: unknown, options: RefCallOptions): Request {
    return { ...options, module: this.actorClass, id: this.id, capability: this.capability, payload };
  }
}
