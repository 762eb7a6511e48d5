import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { ActorClass } from "@mesh/actors";
import type { AdminInit } from "@mesh/admin";
import { type Clock, invalidArgument, type Logger, noopLogger, systemClock } from "@mesh/interface";
import { boundedRendezvous, DEFAULT_SHARD_COUNT, type PlacementStrategy } from "@mesh/ring";
import { validateCapabilities } from "./capability.js";
import { checkKnownKeys, type KnownKeys } from "./config-keys.js";
import { checkUserModule } from "./control.js";
import { NETWORK_OPTIONS, type NetworkConfig, type NetworkInit, resolveNetworkConfig } from "./network-init.js";
import type { TracingInit } from "./tracing.js";

/** Default limit of an encoded payload or reply, in bytes (the call transport's frame limit). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

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
  /**
   * How calls to actors on this node pass payloads and replies. "copy": through
   * the same codec and frame limit as a call to another node, so the actor and the
   * caller never share an object and what another node would refuse is refused
   * here too. "reference": the objects themselves, faster, for callers that never
   * change what they sent or got back. An actor class may opt in alone with
   * `static localCalls = "reference"`. @default "copy"
   */
  readonly localCalls?: LocalCalls;
  /**
   * The largest payload or reply a call may carry, encoded, in bytes: local and
   * remote calls over it are refused with MESH_ERR_PAYLOAD_TOO_LARGE. Every node
   * of a cluster should agree (it is also the call transport's frame limit).
   * @default 16 MiB (16777216)
   */
  readonly maxFrameBytes?: number;
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
  /**
   * OpenTelemetry traces: with `@opentelemetry/api` installed (an optional peer
   * dependency), each call gets spans (`mesh.call`, `mesh.route`, `mesh.serve`,
   * `mesh.forward`) on the global tracer provider or `tracing.tracerProvider`, and
   * carries its W3C trace context to the nodes it reaches; without the package
   * nothing changes. `false` turns tracing off. See docs/observability.md.
   * @default {} (on when `@opentelemetry/api` can be imported)
   */
  readonly tracing?: TracingInit | false;
}

/** How local calls pass payloads and replies (see {@link NodeInit.localCalls}). */
export type LocalCalls = "copy" | "reference";

/**
 * Every option of {@link NodeInit}, one line each; anything else is refused with
 * MESH_ERR_INVALID_CONFIG. The compiler keeps this list and the interface in step.
 */
const NODE_OPTIONS: KnownKeys<NodeInit> = {
  ...NETWORK_OPTIONS,
  name: true,
  capabilities: true,
  actors: true,
  shardCount: true,
  weight: true,
  placement: true,
  callTimeoutMs: true,
  mailboxCapacity: true,
  idleTimeoutMs: true,
  stopTimeoutMs: true,
  handoffTimeoutMs: true,
  clock: true,
  logger: true,
  localCalls: true,
  maxFrameBytes: true,
  admin: true,
  tracing: true,
};

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
  readonly localCalls: LocalCalls;
  readonly maxFrameBytes: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Undefined for a standalone node. */
  readonly network: NetworkConfig | undefined;
  readonly admin: AdminInit | undefined;
  readonly tracing: TracingInit | false;
}

function defaultName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

function positiveNumber(property: string, value: unknown, integer = false): number {
  const ok = typeof value === "number" && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
  if (!ok) throw invalidArgument(property, integer ? "a positive integer" : "a positive finite number", value);
  return value as number;
}

/** Validates `init` at the boundary and returns the frozen configuration with every default applied. */
export function resolveNodeConfig(init: NodeInit = {}): NodeConfig {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  checkKnownKeys(init, NODE_OPTIONS);
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
  const tracing = init.tracing ?? {};
  if (tracing !== false && (typeof tracing !== "object" || tracing === null)) {
    throw invalidArgument("tracing", "false or an object", tracing);
  }
  const provider = tracing === false ? undefined : tracing.tracerProvider;
  if (provider !== undefined && typeof provider?.getTracer !== "function") {
    throw invalidArgument("tracing.tracerProvider", "an OpenTelemetry TracerProvider", provider);
  }
  const localCalls = init.localCalls ?? "copy";
  if (localCalls !== "copy" && localCalls !== "reference") {
    throw invalidArgument("localCalls", '"copy" or "reference"', localCalls);
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
    localCalls,
    maxFrameBytes: positiveNumber("maxFrameBytes", init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, true),
    clock: init.clock ?? systemClock,
    logger: init.logger ?? noopLogger,
    network: resolveNetworkConfig(init),
    admin: init.admin === undefined ? undefined : Object.freeze({ ...init.admin }),
    tracing: tracing === false ? false : Object.freeze({ ...tracing }),
  });
}
