import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { ActorClass } from "@mesh/actors";
import type { AdminInit } from "@mesh/admin";
import { type Clock, invalidArgument, type Logger, noopLogger, systemClock } from "@mesh/interface";
import { boundedRendezvous, DEFAULT_SHARD_COUNT, type PlacementStrategy } from "@mesh/ring";
import { checkUserModule } from "./control.js";
import { type NetworkConfig, type NetworkInit, resolveNetworkConfig } from "./network-init.js";

/** Default per-call deadline; a call that has no reply by then rejects with MESH_ERR_TIMEOUT. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;

/** How long a node that took over shards from a live node holds their calls waiting for the actors' state. */
export const DEFAULT_HANDOFF_TIMEOUT_MS = 2_000;

/** How long `stop()` waits for running handlers to finish before it gives up on them. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Options of {@link createNode}. All are optional; without network options the node runs standalone. */
export interface NodeInit extends NetworkInit {
  /**
   * The node's name, unique in the cluster; `pid.node` and `ownerNode` report it.
   * @default `<hostname>-<pid>-<4 random bytes in hex>`
   */
  readonly name?: string;
  /** Capabilities this node hosts from the start. @default [] */
  readonly capabilities?: readonly string[];
  /** The actor classes this node can host, by module name. @default {} */
  readonly actors?: Readonly<Record<string, ActorClass>>;
  /** Shards per capability ring; every node of a cluster must agree. @default 4096 */
  readonly shardCount?: number;
  /** This node's placement weight: a node of weight 2 owns twice the shards. @default 1 */
  readonly weight?: number;
  /** How shards are assigned to the nodes of a capability. @default boundedRendezvous */
  readonly placement?: PlacementStrategy;
  /** Deadline of a call that gives none, in milliseconds. @default 5000 */
  readonly callTimeoutMs?: number;
  /** Mailbox bound per actor; beyond it calls fail with MESH_ERR_OVERLOADED. @default the runtime's (1000) */
  readonly mailboxCapacity?: number;
  /** An actor idle this long is passivated, in milliseconds (0 disables). @default the runtime's */
  readonly idleTimeoutMs?: number;
  /**
   * How long `stop()` waits for running handlers (and, in a cluster, handoffs) before
   * it stops anyway, in milliseconds. @default 10000
   */
  readonly stopTimeoutMs?: number;
  /**
   * When this node takes over shards from a node that is still alive, calls for
   * them wait up to this long for the previous owner to hand the actors' state
   * over, in milliseconds. @default 2000
   */
  readonly handoffTimeoutMs?: number;
  /** Time source; tests pass a fake clock. @default the system clock */
  readonly clock?: Clock;
  /** Structured logs. @default a logger that drops everything */
  readonly logger?: Logger;
  /**
   * Starts the HTTP admin endpoint (metrics, probes, cluster API, dashboard) on
   * `host:port` (9464 by convention, 0 for any free port); a host other than
   * loopback requires `token`. See docs/observability.md. @default no admin endpoint
   */
  readonly admin?: AdminInit;
}

export interface NodeConfig {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly actors: Readonly<Record<string, ActorClass>>;
  readonly shardCount: number;
  readonly weight: number;
  readonly placement: PlacementStrategy;
  readonly callTimeoutMs: number;
  readonly mailboxCapacity: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  readonly stopTimeoutMs: number;
  readonly handoffTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Undefined for a standalone node. */
  readonly network: NetworkConfig | undefined;
  readonly admin: AdminInit | undefined;
}

function defaultName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

export function validateCapabilities(property: string, value: unknown): readonly string[] {
  if (!Array.isArray(value)) throw invalidArgument(property, "an array of non-empty strings", value);
  value.forEach((capability, i) => {
    if (typeof capability !== "string" || capability === "") {
      throw invalidArgument(`${property}[${i}]`, "a non-empty string", capability);
    }
  });
  return [...new Set(value as string[])].sort();
}

function positiveNumber(property: string, value: unknown, integer = false): number {
  const ok = typeof value === "number" && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
  if (!ok) throw invalidArgument(property, integer ? "a positive integer" : "a positive finite number", value);
  return value as number;
}

/** Validates `init` at the boundary and returns the frozen configuration with every default applied. */
export function resolveNodeConfig(init: NodeInit = {}): NodeConfig {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const name = init.name ?? defaultName();
  if (typeof name !== "string" || name === "") throw invalidArgument("name", "a non-empty string", name);
  const actors = init.actors ?? {};
  if (typeof actors !== "object" || actors === null) throw invalidArgument("actors", "an object of classes", actors);
  for (const [module, actorClass] of Object.entries(actors)) {
    if (typeof actorClass !== "function") throw invalidArgument(`actors.${module}`, "a class", actorClass);
    checkUserModule("actors", module);
  }
  const placement = init.placement ?? boundedRendezvous;
  if (typeof placement?.buildTable !== "function") {
    throw invalidArgument("placement", "a PlacementStrategy", placement);
  }
  const idle = init.idleTimeoutMs;
  if (idle !== undefined && !(typeof idle === "number" && idle >= 0)) {
    throw invalidArgument("idleTimeoutMs", "a number >= 0", idle);
  }
  return Object.freeze({
    name,
    capabilities: Object.freeze(validateCapabilities("capabilities", init.capabilities ?? [])),
    actors: Object.freeze({ ...actors }),
    shardCount: positiveNumber("shardCount", init.shardCount ?? DEFAULT_SHARD_COUNT, true),
    weight: positiveNumber("weight", init.weight ?? 1),
    placement,
    callTimeoutMs: positiveNumber("callTimeoutMs", init.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS),
    mailboxCapacity:
      init.mailboxCapacity === undefined ? undefined : positiveNumber("mailboxCapacity", init.mailboxCapacity, true),
    idleTimeoutMs: idle,
    handoffTimeoutMs: positiveNumber("handoffTimeoutMs", init.handoffTimeoutMs ?? DEFAULT_HANDOFF_TIMEOUT_MS),
    stopTimeoutMs: positiveNumber("stopTimeoutMs", init.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS),
    clock: init.clock ?? systemClock,
    logger: init.logger ?? noopLogger,
    network: resolveNetworkConfig(init),
    admin: init.admin === undefined ? undefined : Object.freeze({ ...init.admin }),
  });
}
