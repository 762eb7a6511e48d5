import { type Clock, invalidArgument, type Logger, noopLogger, systemClock } from "@mesh/interface";
import { EventEmitter } from "eventemitter3";
import type { ActorClass } from "./actor.js";
import { runtimeStopped, unknownModule } from "./actor-errors.js";
import { ActorType } from "./actor-type.js";
import {
  type ActorRuntimeConfig,
  type ActorRuntimeInit,
  type ActorTypeInit,
  DEFAULT_NODE_NAME,
  resolveRuntimeConfig,
  resolveTypeConfig,
} from "./config.js";
import { type Abandonable, EMPTY_CHAIN } from "./envelope.js";
import type { ActorRuntimeEvents } from "./events.js";
import { localRouter } from "./local-router.js";
import type { ActorRouter } from "./router.js";
import { RuntimeCore } from "./runtime-core.js";

/** Collaborators of an {@link ActorRuntime}; each has a default. */
export interface ActorRuntimeComponents {
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
  /** Where `ctx.call`/`ctx.cast` go. @default a router to this same runtime */
  readonly router?: ActorRouter;
  /** Reported as `ctx.node` and in errors. @default "local" */
  readonly nodeName?: string;
}

/** Per-message options of {@link ActorRuntime.call} and {@link ActorRuntime.cast}. */
export interface MessageOptions {
  /** Given to the constructor if this message activates the actor. */
  readonly initArg?: unknown;
  /** Actor keys (`module/id`) of the calls waiting upstream; a call whose target is in it is refused. Ignored by cast. */
  readonly chain?: readonly string[];
  readonly signal?: AbortSignal;
  /**
   * Checked when a queued call's turn comes: if `abandoned` is true by then (a remote
   * caller gave up), the call is dropped unrun. Cheaper than a signal: no listener,
   * and an idle actor's call still takes the fast path. Ignored by cast.
   */
  readonly abandoned?: Abandonable;
}

export interface ActorRuntimeStats {
  /** Activations alive now. */
  readonly active: number;
  /** Activations completed since start (re-activations count again). */
  readonly activations: number;
  readonly deactivations: number;
  /** Calls and casts received for a registered module while running (refused ones included). */
  readonly calls: number;
  readonly casts: number;
  /** Actor code that threw: constructor, hooks, handlers, timers. */
  readonly failures: number;
  /** Messages refused because a mailbox was full. */
  readonly overloaded: number;
}

/**
 * A turn-based virtual actor runtime for one node: it activates actors on their
 * first message, runs one message at a time per actor, bounds each mailbox,
 * passivates idle actors, and hands snapshots over for rebalancing.
 * Events: `actor:activated`, `actor:deactivated`, `actor:failed`.
 */
export class ActorRuntime extends EventEmitter<ActorRuntimeEvents> {
  readonly config: ActorRuntimeConfig;
  readonly #core: RuntimeCore;
  readonly #names = new Map<ActorClass, string>();
  #stopped: Promise<void> | undefined;

  constructor(init: ActorRuntimeInit = {}, components: ActorRuntimeComponents = {}) {
    super();
    this.config = resolveRuntimeConfig(init);
    const nodeName = components.nodeName ?? DEFAULT_NODE_NAME;
    if (typeof nodeName !== "string" || nodeName === "")
      throw invalidArgument("nodeName", "a non-empty string", nodeName);
    const clock = components.clock ?? systemClock;
    const router = components.router ?? localRouter(this, clock);
    checkRouter(router);
    this.#core = new RuntimeCore(this.config, clock, components.logger ?? noopLogger, nodeName, this, router);
  }

  get nodeName(): string {
    return this.#core.nodeName;
  }

  /** Activations alive now. */
  get activeCount(): number {
    return this.#core.active;
  }

  /** Replaces the router that `ctx.call` and `ctx.cast` use. */
  setRouter(router: ActorRouter): void {
    checkRouter(router);
    this.#core.router = router;
  }

  /** Registers an actor class under a module name (no "/"), with per-type options. */
  register(name: string, actorClass: ActorClass, options?: ActorTypeInit): void {
    if (this.#core.stopping) throw runtimeStopped(this.nodeName);
    if (typeof name !== "string" || name === "" || name.includes("/")) {
      throw invalidArgument("name", 'a non-empty string without "/"', name);
    }
    if (typeof actorClass !== "function") throw invalidArgument("actorClass", "a class", actorClass);
    if (this.#core.types.has(name)) throw invalidArgument("name", "a module name not registered yet", name);
    const config = resolveTypeConfig(options, this.config);
    this.#core.types.set(name, new ActorType(name, actorClass, config, this.#core, this.config.sweepIntervalMs));
    // A class registered under two names resolves to the first.
    if (!this.#names.has(actorClass)) this.#names.set(actorClass, name);
  }

  /** The registered module name of a name or class, or undefined. */
  resolveModule(module: string | ActorClass): string | undefined {
    if (typeof module === "string") return this.#core.types.has(module) ? module : undefined;
    if (typeof module === "function") return this.#names.get(module);
    return undefined;
  }

  /**
   * Sends `payload` to the actor's `handleCall` and resolves with its reply.
   * Rejects with a MeshError: NODE_STOPPED, UNKNOWN_MODULE, INVALID_ARGUMENT,
   * REENTRANT_CALL, ABORTED, ACTIVATION_FAILED, OVERLOADED, ACTOR_THREW, DEACTIVATED.
   */
  call(module: string, id: string, payload: unknown, options?: MessageOptions): Promise<unknown> {
    const core = this.#core;
    const type = core.types.get(module);
    if (type === undefined || core.stopping || typeof id !== "string") return Promise.reject(this.#refusal(module, id));
    core.calls++;
    if (options === undefined) return core.call(type, id, payload, undefined, EMPTY_CHAIN, undefined);
    const chain = options.chain ?? EMPTY_CHAIN;
    if (!Array.isArray(chain)) return Promise.reject(invalidArgument("options.chain", "an array of strings", chain));
    return core.call(type, id, payload, options.initArg, chain, options.signal, options.abandoned);
  }

  /**
   * Sends `payload` to the actor's `handleCast` and returns once it has run or
   * is queued. Throws a MeshError: NODE_STOPPED, UNKNOWN_MODULE, INVALID_ARGUMENT,
   * ABORTED, ACTIVATION_FAILED, OVERLOADED, DEACTIVATED.
   */
  cast(module: string, id: string, payload: unknown, options?: MessageOptions): void {
    const core = this.#core;
    const type = core.types.get(module);
    if (type === undefined || core.stopping || typeof id !== "string") throw this.#refusal(module, id);
    core.casts++;
    if (options === undefined) core.cast(type, id, payload, undefined, undefined);
    else core.cast(type, id, payload, options.initArg, options.signal);
  }

  /**
   * Deactivates one actor for `reason` (e.g. a rebalance): waits for its running
   * turn, calls `snapshot()` then `onDeactivate(reason)`, rejects its queued
   * messages with MESH_ERR_DEACTIVATED, and resolves with the snapshot
   * (undefined if the class has none or the actor was not active).
   */
  deactivate(module: string, id: string, reason: string): Promise<unknown> {
    const type = this.#core.types.get(module);
    if (type === undefined || typeof id !== "string") return Promise.reject(this.#refusal(module, id));
    if (typeof reason !== "string" || reason === "") {
      return Promise.reject(invalidArgument("reason", "a non-empty string", reason));
    }
    const act = type.actors.get(id);
    if (act === undefined) return Promise.resolve(undefined);
    const deactivation = this.#core.requestDeactivation(act, reason, true, true);
    return deactivation === undefined ? Promise.resolve(undefined) : deactivation.promise();
  }

  /**
   * Activates the actor with `restore(state)` before any message (the handoff
   * target). If it is already active, `restore(state)` runs as its next turn.
   */
  async restore(module: string, id: string, state: unknown, initArg?: unknown): Promise<void> {
    const core = this.#core;
    const type = core.types.get(module);
    if (type === undefined || core.stopping || typeof id !== "string") throw this.#refusal(module, id);
    if (typeof type.actorClass.prototype?.restore !== "function") {
      throw invalidArgument("module", `an actor class with a restore method (${module} has none)`, module);
    }
    await core.restore(type, id, state, initArg);
  }

  /** The live activations, by module and id. */
  *activations(): IterableIterator<{ module: string; id: string }> {
    for (const type of this.#core.types.values()) {
      for (const id of type.actors.keys()) yield { module: type.name, id };
    }
  }

  stats(): ActorRuntimeStats {
    const core = this.#core;
    return {
      active: core.active,
      activations: core.activations,
      deactivations: core.deactivations,
      calls: core.calls,
      casts: core.casts,
      failures: core.failures,
      overloaded: core.overloaded,
    };
  }

  /** Deactivates every actor (reason "shutdown"); afterwards every call fails with NODE_STOPPED. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#core.stopAll();
    return this.#stopped;
  }

  #refusal(module: unknown, id: unknown): Error {
    if (this.#core.stopping) return runtimeStopped(this.nodeName);
    if (typeof module !== "string") return invalidArgument("module", "a module name", module);
    if (typeof id !== "string") return invalidArgument("id", "a string", id);
    return unknownModule(module, this.nodeName);
  }
}

function checkRouter(router: ActorRouter): void {
  if (
    typeof router !== "object" ||
    router === null ||
    typeof router.call !== "function" ||
    typeof router.cast !== "function"
  ) {
    throw invalidArgument("router", "an object with call and cast methods", router);
  }
}
