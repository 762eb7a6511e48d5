/**
 * Every failure a Mesh caller can see is a {@link MeshError} with a stable `code`.
 * Callers branch on `code`, never on `message`. Codes are append-only: a retired
 * code is never reused for another meaning. `docs/errors.md` documents every code;
 * a test keeps that page and this registry in step.
 */

/** Why a code exists, and whether retrying the same request may succeed. */
export interface ErrorCodeInfo {
  readonly description: string;
  readonly retryable: boolean;
}

export const ErrorCodes = {
  MESH_ERR_INVALID_ARGUMENT: {
    description: "An argument or option is missing or has the wrong type or value; the message names it.",
    retryable: false,
  },
  MESH_ERR_NO_NODES: {
    description: "No live node in the cluster has the requested capability.",
    retryable: true,
  },
  MESH_ERR_UNKNOWN_MODULE: {
    description: "The owner node has no actor class registered under the requested module name.",
    retryable: false,
  },
  MESH_ERR_TIMEOUT: {
    description: "The call's deadline passed before a reply arrived.",
    retryable: true,
  },
  MESH_ERR_ABORTED: {
    description: "The caller's AbortSignal fired before a reply arrived.",
    retryable: false,
  },
  MESH_ERR_ACTOR_THREW: {
    description: "The actor's handleCall or handleCast threw; `cause` carries what it threw.",
    retryable: false,
  },
  MESH_ERR_ACTIVATION_FAILED: {
    description: "The actor's constructor or onActivate threw, so the actor was not activated.",
    retryable: false,
  },
  MESH_ERR_OVERLOADED: {
    description: "The actor's mailbox (or a peer's in-flight window) is full; the request was not queued.",
    retryable: true,
  },
  MESH_ERR_REENTRANT_CALL: {
    description: "An actor called itself, directly or through a chain of calls, which would wait forever.",
    retryable: false,
  },
  MESH_ERR_DEACTIVATED: {
    description: "The actor was deactivated (idle, rebalance, shutdown) while the message waited in its mailbox.",
    retryable: true,
  },
  MESH_ERR_NODE_STOPPED: {
    description: "The node (or the actor runtime) is stopped or stopping and takes no new work.",
    retryable: false,
  },
  MESH_ERR_NODE_UNREACHABLE: {
    description: "The owner node could not be reached or went away while the call was in flight.",
    retryable: true,
  },
  MESH_ERR_UNENCODABLE: {
    description: "A payload or reply cannot be encoded for the wire (e.g. a function or a cycle).",
    retryable: false,
  },
  MESH_ERR_BIND_FAILED: {
    description: "A socket could not be bound (address in use, no such interface, permission).",
    retryable: false,
  },
  MESH_ERR_INVALID_CONFIG: {
    description: "An option of createNode (or of a component) is unknown or has an unsafe value; the message names it.",
    retryable: false,
  },
  MESH_ERR_NAME_CONFLICT: {
    description: "Another live node already holds this node's name in the cluster; the first holder keeps it.",
    retryable: false,
  },
  MESH_ERR_PAYLOAD_TOO_LARGE: {
    description: "A payload or reply is larger than the frame limit; it was refused before it was sent.",
    retryable: false,
  },
  MESH_ERR_DISCOVERY_FAILED: {
    description: "A discovery strategy could not reach its source (DNS, Kubernetes API); it retries with backoff.",
    retryable: true,
  },
  MESH_ERR_UNAUTHORIZED: {
    description: "A request to the admin endpoint had no valid bearer token.",
    retryable: false,
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ErrorCodes;

export interface MeshErrorOptions {
  readonly cause?: unknown;
  /** Structured facts about the failure (the property name, the capability, …). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class MeshError extends Error {
  override readonly name = "MeshError";
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: MeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** True when the same request may succeed later (another owner, less load, a later deadline). */
  get retryable(): boolean {
    return ErrorCodes[this.code].retryable;
  }
}

export function isMeshError(value: unknown, code?: ErrorCode): value is MeshError {
  return value instanceof MeshError && (code === undefined || value.code === code);
}

/** The error for a bad argument, naming the property, what it must be and what it was. */
export function invalidArgument(property: string, expected: string, actual: unknown): MeshError {
  return new MeshError("MESH_ERR_INVALID_ARGUMENT", `${property} must be ${expected}, got ${describe(actual)}`, {
    details: { property },
  });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    default:
      return `an ${typeof value}`;
  }
}
