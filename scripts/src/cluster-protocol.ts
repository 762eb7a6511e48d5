/**
 * The IPC protocol between the cluster script (or a test) and a cluster child process
 * (`cluster-node.ts`). The parent sends commands with a request id; the child answers
 * each one exactly once with the same id, `ok: true` and a result, or `ok: false` and
 * a serialised error. The child also pushes `ready`, `member` and `actor` events.
 * Messages travel with the "advanced" (structured clone) serialisation.
 */

/** How a child process is configured: everything it needs to call `createNode`. */
export interface ChildNodeSpec {
  readonly name: string;
  readonly capabilities: readonly string[];
  /**
   * Every capability of the cluster: the child registers one actor module per
   * capability (see `moduleFor`), so it can host whatever it comes to own.
   */
  readonly clusterCapabilities: readonly string[];
  /**
   * Network options handed to `createNode` (port, multicastAddr, secret, gossip…); the child
   * always overrides multicastInterface, host and advertiseHost with `bindHost`.
   */
  readonly network: Readonly<Record<string, unknown>>;
  /**
   * The one IPv4 address the node uses: multicast is sent and joined on it, the gossip
   * and call endpoints bind to it and are advertised at it. A network namespace's own
   * address for a node on a test host. @default "127.0.0.1"
   */
  readonly bindHost?: string;
  readonly callTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
}

/** What a caller sends to an actor, in a form that crosses IPC. */
export interface WireRequest {
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly payload?: unknown;
  readonly initArg?: unknown;
  readonly timeoutMs?: number;
}

/** A MeshError (or any error) reduced to what crosses IPC. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** One call's result, with timings in wall-clock ms (`Date.now()`, comparable across processes). */
export type CallOutcome =
  | {
      readonly ok: true;
      readonly id: string;
      readonly node: string;
      readonly shard: number;
      readonly response: unknown;
      readonly startedAt: number;
      readonly latencyMs: number;
    }
  | {
      readonly ok: false;
      readonly id: string;
      readonly error: WireError;
      readonly startedAt: number;
      readonly latencyMs: number;
    };

/** Options of a background load: calls that keep running until `loadStop`. */
export interface LoadSpec {
  readonly loadId: string;
  readonly requests: readonly WireRequest[];
  /**
   * Number of workers; worker k calls requests k, k + concurrency, … one at a time,
   * so each id has at most one call in flight and its replies come in order.
   */
  readonly concurrency: number;
  /** Pause of a worker after a failed call, so a dead owner is not hammered. @default 20 */
  readonly backoffMs?: number;
  /**
   * Pause of a worker between two calls, in ms. It paces the load (at most
   * concurrency / pauseMs calls per ms) and lets the child's event loop turn: a call
   * to a local actor settles in microtasks, so a loop without a pause would starve
   * IPC and gossip. @default 2
   */
  readonly pauseMs?: number;
  /**
   * Each reply is a counter's new value: after an id's first reply n, the next
   * must be n + 1, n + 2, … with no gap or reset (state kept across moves).
   */
  readonly checkCounter?: boolean;
  /**
   * Calls the load makes in all before its workers finish by themselves (the report
   * says `finished`). @default no limit: the load runs until `loadStop`
   */
  readonly maxCalls?: number;
}

/** What a load saw, returned by `loadStop`. */
export interface LoadReport {
  readonly loadId: string;
  readonly ok: number;
  readonly failed: number;
  /** Failures by code, with the first and last time each was seen and the slowest one. */
  readonly failures: Readonly<
    Record<string, { count: number; firstAt: number; lastAt: number; maxLatencyMs: number; retryable: boolean }>
  >;
  /** The first few failures in full. */
  readonly failureSamples: readonly CallOutcome[];
  /** Successes by the node that answered, with the first and last time. */
  readonly servedBy: Readonly<Record<string, { count: number; firstAt: number; lastAt: number }>>;
  /** For each id: the node of its last reply and when its first reply from that node came. */
  readonly lastOwner: Readonly<Record<string, { node: string; since: number }>>;
  /** For each id: every node that answered it, in the order they first did. */
  readonly answeredBy: Readonly<Record<string, readonly string[]>>;
  /** Whether the workers are done (maxCalls reached, or stopped). */
  readonly finished: boolean;
  /** checkCounter: replies out of sequence (lost or duplicated state), the first few. */
  readonly counterViolations: readonly { id: string; expected: number; got: unknown }[];
  readonly counterViolationCount: number;
  /** checkCounter: the last value seen per id. */
  readonly counters: Readonly<Record<string, number>>;
  readonly maxLatencyMs: number;
}

export type Command =
  | { readonly op: "ping" }
  | { readonly op: "call"; readonly request: WireRequest }
  | { readonly op: "cast"; readonly request: WireRequest }
  | { readonly op: "callMany"; readonly requests: readonly WireRequest[]; readonly concurrency: number }
  | { readonly op: "stats" }
  | { readonly op: "members" }
  | { readonly op: "view"; readonly capabilities: readonly string[] }
  | { readonly op: "owners"; readonly capability: string; readonly ids: readonly string[] }
  | { readonly op: "actors" }
  | ({ readonly op: "loadStart" } & LoadSpec)
  | { readonly op: "loadPeek"; readonly loadId: string }
  | { readonly op: "loadStop"; readonly loadId: string }
  | { readonly op: "process" }
  | { readonly op: "stop" };

export type Op = Command["op"];

/** A member as a child reports it (a plain copy of the node's MemberView). */
export interface WireMember {
  readonly name: string;
  readonly state: string;
  readonly incarnation: number;
  readonly address: { readonly host: string; readonly port: number };
  readonly capabilities: readonly string[];
  /** Gossip tags: `call` is the member's call endpoint ("host:port"). */
  readonly tags: Readonly<Record<string, string>>;
}

/** The child's view of the cluster: its members and, per capability asked, the nodes it routes to. */
export interface ViewResult {
  readonly members: readonly WireMember[];
  readonly nodesFor: Readonly<Record<string, readonly string[]>>;
}

/** The actors alive on a child, by module: active ids (sorted). */
export type ActorsResult = Readonly<Record<string, readonly string[]>>;

/** For each id: its shard and the owner this child computes for it. */
export type OwnersResult = Readonly<Record<string, { shard: number; owner: string | null }>>;

/** The child process itself: its PID and memory, in bytes. */
export interface ProcessResult {
  readonly pid: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** What each command answers. */
export interface Results {
  ping: { name: string; pid: number };
  call: CallOutcome;
  cast: null;
  callMany: readonly CallOutcome[];
  stats: Readonly<Record<string, unknown>>;
  members: readonly WireMember[];
  view: ViewResult;
  owners: OwnersResult;
  actors: ActorsResult;
  loadStart: null;
  loadPeek: LoadReport;
  loadStop: LoadReport;
  process: ProcessResult;
  stop: null;
}

export interface RequestMessage {
  readonly type: "request";
  readonly requestId: number;
  readonly command: Command;
}

export type ReplyMessage =
  | { readonly type: "reply"; readonly requestId: number; readonly ok: true; readonly result: unknown }
  | { readonly type: "reply"; readonly requestId: number | null; readonly ok: false; readonly error: WireError };

/** A membership event as seen by one child, stamped with its wall-clock time. */
export interface MemberEventMessage {
  readonly type: "member";
  readonly event: string;
  readonly observer: string;
  readonly member: string;
  readonly state: string;
  readonly incarnation: number;
  readonly at: number;
}

export type ChildMessage =
  | ReplyMessage
  | { readonly type: "ready"; readonly name: string; readonly pid: number; readonly at: number }
  | { readonly type: "fatal"; readonly error: WireError }
  | MemberEventMessage;

/** Reduces anything thrown to a WireError (MeshError keeps its code and retryability). */
export function toWireError(error: unknown): WireError {
  if (typeof error === "object" && error !== null) {
    const e = error as { code?: unknown; message?: unknown; retryable?: unknown };
    return {
      code: typeof e.code === "string" ? e.code : "UNKNOWN",
      message: typeof e.message === "string" ? e.message : String(error),
      retryable: e.retryable === true,
    };
  }
  return { code: "UNKNOWN", message: String(error), retryable: false };
}

/** The error a child answers for a command it cannot understand (it never throws on one). */
export function badCommand(message: string): WireError {
  return { code: "MESH_ERR_INVALID_ARGUMENT", message, retryable: false };
}
