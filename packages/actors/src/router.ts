import type { ActorClass } from "./actor.js";

/** A request addressed to an actor by module, id and the capability that places it. */
export interface ActorRequest {
  /** The registered module name, or the class itself. */
  module: string | ActorClass;
  id: string;
  payload?: unknown;
  capability: string;
  /** Passed to the constructor if this message activates the actor; ignored otherwise. */
  initArg?: unknown;
  /** Rejects with `MESH_ERR_TIMEOUT` if no reply came within this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The activation that answered a call. */
export interface ActorPid {
  readonly node: string;
  readonly module: string;
  readonly id: string;
  /** The shard of `id`, when the request went through a sharded router. */
  readonly shard?: number;
}

/** A reply (typed `R` when the caller says, or through a typed actor reference) and who gave it. */
export interface CallResult<R = unknown> {
  readonly pid: ActorPid;
  readonly response: R;
}

/**
 * Where `ctx.call` and `ctx.cast` go. The node package routes by capability to
 * the owner node; without one, the runtime routes to itself ({@link localRouter}).
 * `chain` lists the actor keys (`module/id`) of the calls waiting upstream, this
 * actor's last; it is plain strings so it can travel across nodes.
 */
export interface ActorRouter {
  call(request: ActorRequest, chain: readonly string[]): Promise<CallResult>;
  cast(request: ActorRequest, chain: readonly string[]): Promise<void>;
}
