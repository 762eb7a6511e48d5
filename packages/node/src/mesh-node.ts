import {
  type ActorClass,
  type ActorPid,
  type ActorRequest,
  type ActorRouter,
  ActorRuntime,
  type CallResult,
} from "@mesh/actors";
import { invalidArgument, MeshError, throwIfAborted } from "@mesh/interface";
import { createHasher, type Hasher, ShardTables, shardFor } from "@mesh/ring";
import { EventEmitter } from "eventemitter3";
import { DeadlineQueue } from "./deadlines.js";
import type { MeshNodeEvents } from "./events.js";
import { type NodeConfig, type NodeInit, resolveNodeConfig, validateCapabilities } from "./node-init.js";
import { type Request, validateRequest } from "./request.js";

export interface NodeStats {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly calls: number;
  readonly casts: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly actors: ReturnType<ActorRuntime["stats"]>;
}

/**
 * A Mesh node: it hosts actors for its capabilities and routes every call for
 * `(capability, id)` to the node that owns the id's shard on that capability's ring.
 * Create one with {@link createNode}.
 */
export class MeshNode extends EventEmitter<MeshNodeEvents> {
  readonly name: string;
  readonly #config: NodeConfig;
  readonly #hasher: Hasher;
  readonly #tables: ShardTables;
  readonly #runtime: ActorRuntime;
  readonly #deadlines: DeadlineQueue;
  #capabilities: readonly string[];
  #state: "running" | "stopping" | "stopped" = "running";
  #stopped: Promise<void> | undefined;
  #calls = 0;
  #casts = 0;
  readonly #failures: Record<string, number> = {};

  /** @internal use {@link createNode} */
  constructor(config: NodeConfig, hasher: Hasher) {
    super();
    this.#config = config;
    this.name = config.name;
    this.#hasher = hasher;
    this.#capabilities = config.capabilities;
    this.#deadlines = new DeadlineQueue(config.clock);
    this.#tables = new ShardTables({ shardCount: config.shardCount, strategy: config.placement, hasher });
    const router: ActorRouter = {
      call: (request, chain) => this.#call(request, chain),
      cast: (request, chain) => this.#cast(request, chain),
    };
    this.#runtime = new ActorRuntime(
      {
        ...(config.mailboxCapacity === undefined ? {} : { mailboxCapacity: config.mailboxCapacity }),
        ...(config.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: config.idleTimeoutMs }),
      },
      { clock: config.clock, logger: config.logger, router, nodeName: config.name },
    );
    for (const [module, actorClass] of Object.entries(config.actors)) this.#runtime.register(module, actorClass);
    this.#runtime.on("actor:activated", (e) => this.emit("actor:activated", { pid: this.#pid(e.module, e.id) }));
    this.#runtime.on("actor:deactivated", (e) =>
      this.emit("actor:deactivated", { pid: this.#pid(e.module, e.id), reason: e.reason }),
    );
    this.#runtime.on("actor:failed", (e) =>
      this.emit("actor:failed", { pid: this.#pid(e.module, e.id), error: e.error }),
    );
    this.#rebuildTables();
  }

  /** This node's capabilities, sorted. */
  get capabilities(): readonly string[] {
    return this.#capabilities;
  }

  /** Adds capabilities to this node's set (already present ones are ignored). */
  async registerCapabilities(capabilities: readonly string[]): Promise<void> {
    this.#assertRunning();
    const added = validateCapabilities("capabilities", capabilities).filter((c) => !this.#capabilities.includes(c));
    if (added.length > 0) this.#setCapabilities([...this.#capabilities, ...added].sort(), added, []);
  }

  /** Removes capabilities from this node's set (absent ones are ignored). */
  async unregisterCapabilities(capabilities: readonly string[]): Promise<void> {
    this.#assertRunning();
    const gone = new Set(validateCapabilities("capabilities", capabilities));
    const removed = this.#capabilities.filter((c) => gone.has(c));
    if (removed.length > 0)
      this.#setCapabilities(
        this.#capabilities.filter((c) => !gone.has(c)),
        [],
        removed,
      );
  }

  /** Sends `payload` to the actor and resolves with its reply and the activation that gave it. */
  call(request: Request): Promise<CallResult> {
    return this.#call(request, EMPTY_CHAIN);
  }

  /** Sends `payload` without waiting for a reply; resolves once the owner has queued it. */
  cast(request: Request): Promise<void> {
    return this.#cast(request, EMPTY_CHAIN);
  }

  /** Names of the live nodes that have `capability`, sorted. */
  nodesFor(capability: string): readonly string[] {
    if (typeof capability !== "string") throw invalidArgument("capability", "a string", capability);
    return this.#tables.nodesFor(capability);
  }

  /** Every capability some live node has, sorted, without duplicates. */
  allCapabilities(): readonly string[] {
    return this.#tables.capabilities();
  }

  /** The shard of an actor id: xxhash32(id) mod shardCount, the same in every process. */
  shardFor(id: string): number {
    if (typeof id !== "string" || id === "") throw invalidArgument("id", "a non-empty string", id);
    return shardFor(this.#hasher, id, this.#config.shardCount);
  }

  /** The node that owns `shard` for `capability`, or undefined when no node has the capability. */
  ownerNode(shard: number, capability: string): string | undefined {
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.#config.shardCount) {
      throw invalidArgument("shard", `an integer in 0..${this.#config.shardCount - 1}`, shard);
    }
    if (typeof capability !== "string" || capability === "") {
      throw invalidArgument("capability", "a non-empty string", capability);
    }
    return this.#tables.ownerOf(shard, capability);
  }

  stats(): NodeStats {
    return {
      name: this.name,
      capabilities: this.#capabilities,
      calls: this.#calls,
      casts: this.#casts,
      failures: { ...this.#failures },
      actors: this.#runtime.stats(),
    };
  }

  /** Stops taking work, deactivates every actor (`onDeactivate("shutdown")`) and resolves when done. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#state = "stopping";
    const { clock, stopTimeoutMs, logger } = this.#config;
    let timer: ReturnType<typeof clock.setTimeout> | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = clock.setTimeout(() => resolve(true), stopTimeoutMs);
    });
    // A handler that never settles must not keep the node from stopping.
    if (await Promise.race([this.#runtime.stop().then(() => false), gaveUp])) {
      logger.warn("stop did not drain in time", { node: this.name, stopTimeoutMs, active: this.#runtime.activeCount });
    }
    if (timer !== undefined) clock.clearTimeout(timer);
    this.#deadlines.clear();
    this.#state = "stopped";
    this.emit("node:stopped");
  }

  #setCapabilities(next: readonly string[], added: readonly string[], removed: readonly string[]): void {
    this.#capabilities = Object.freeze(next);
    this.#rebuildTables();
    this.emit("capabilities:changed", { node: this.name, capabilities: next, added, removed });
  }

  #rebuildTables(): void {
    this.#tables.update([{ name: this.name, weight: this.#config.weight, capabilities: this.#capabilities }]);
  }

  #assertRunning(): void {
    if (this.#state !== "running") {
      throw new MeshError("MESH_ERR_NODE_STOPPED", `node ${this.name} is stopped`, { details: { node: this.name } });
    }
  }

  #pid(module: string, id: string): ActorPid {
    return { node: this.name, module, id, shard: shardFor(this.#hasher, id, this.#config.shardCount) };
  }

  /** Resolves the owner of `request` and the module name; throws the typed error a caller should see. */
  #route(request: Request): { owner: string; module: string; shard: number } {
    this.#assertRunning();
    validateRequest(request);
    throwIfAborted(request.signal);
    const shard = shardFor(this.#hasher, request.id, this.#config.shardCount);
    const owner = this.#tables.ownerOf(shard, request.capability);
    if (owner === undefined) {
      throw new MeshError("MESH_ERR_NO_NODES", `no live node has the capability "${request.capability}"`, {
        details: { capability: request.capability },
      });
    }
    const module = this.#moduleName(request.module);
    if (owner === this.name && module === undefined) {
      throw new MeshError(
        "MESH_ERR_UNKNOWN_MODULE",
        `node ${this.name} has no actor module ${describeModule(request.module)}`,
        {
          details: { module: describeModule(request.module), node: this.name },
        },
      );
    }
    return { owner, module: module ?? describeModule(request.module), shard };
  }

  #moduleName(module: string | ActorClass): string | undefined {
    return this.#runtime.resolveModule(module);
  }

  async #call(request: ActorRequest | Request, chain: readonly string[]): Promise<CallResult> {
    try {
      const { owner, module, shard } = this.#route(request);
      this.#calls++;
      const response = await this.#withDeadline(request, (signal) =>
        this.#runtime.call(module, request.id, request.payload, {
          initArg: request.initArg,
          chain,
          ...(signal === undefined ? {} : { signal }),
        }),
      );
      return { pid: { node: owner, module, id: request.id, shard }, response };
    } catch (error) {
      throw this.#counted(error);
    }
  }

  async #cast(request: ActorRequest | Request, chain: readonly string[]): Promise<void> {
    try {
      const { module } = this.#route(request);
      this.#casts++;
      await this.#runtime.cast(module, request.id, request.payload, { initArg: request.initArg, chain });
    } catch (error) {
      throw this.#counted(error);
    }
  }

  /** Runs `work` and rejects with MESH_ERR_TIMEOUT when the call's deadline passes first. */
  #withDeadline<T>(request: Request | ActorRequest, work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const timeoutMs = request.timeoutMs ?? this.#config.callTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const deadline = this.#deadlines.add(timeoutMs, () =>
        reject(
          new MeshError(
            "MESH_ERR_TIMEOUT",
            `no reply from ${describeModule(request.module)}/${request.id} within ${timeoutMs} ms`,
            {
              details: { timeoutMs },
            },
          ),
        ),
      );
      work(request.signal).then(
        (value) => {
          deadline.cancel();
          resolve(value);
        },
        (error: unknown) => {
          deadline.cancel();
          reject(error);
        },
      );
    });
  }

  #counted(error: unknown): unknown {
    const code = error instanceof MeshError ? error.code : "UNKNOWN";
    this.#failures[code] = (this.#failures[code] ?? 0) + 1;
    return error;
  }
}

const EMPTY_CHAIN: readonly string[] = Object.freeze([]);

function describeModule(module: string | ActorClass): string {
  return typeof module === "string" ? module : module.name || "<anonymous class>";
}

/** Starts a node in this process. See {@link NodeInit} for the options. */
export async function createNode(init: NodeInit = {}): Promise<MeshNode> {
  const config = resolveNodeConfig(init);
  return new MeshNode(config, await createHasher());
}
