import type { ActorClass } from "@mesh/actors";
import { invalidArgument } from "@mesh/interface";

/** What a caller asks for: an actor, by module and id, on the nodes that have `capability`. */
export interface Request {
  /** The registered module name, or the actor class itself. */
  readonly module: string | ActorClass;
  /** The actor's id; the shard (and so the owner node) is a hash of it. */
  readonly id: string;
  readonly payload?: unknown;
  readonly capability: string;
  /** Passed to the constructor on first activation only. */
  readonly initArg?: unknown;
  /** This call's deadline in milliseconds. @default the node's callTimeoutMs */
  readonly timeoutMs?: number;
  /** Cancels the call on the caller's side. */
  readonly signal?: AbortSignal;
  /**
   * When no live node has the capability: false rejects at once with MESH_ERR_NO_NODES;
   * true waits for one to appear until the call's deadline. @default false
   */
  readonly waitForNodes?: boolean;
}

/** Checks every field a caller may get wrong, naming the one that is. */
export function validateRequest(request: unknown): Request {
  if (typeof request !== "object" || request === null) throw invalidArgument("request", "an object", request);
  const r = request as Record<string, unknown>;
  const module = r.module;
  if (!((typeof module === "string" && module !== "") || typeof module === "function")) {
    throw invalidArgument("request.module", "a module name or an actor class", module);
  }
  if (typeof r.id !== "string" || r.id === "") throw invalidArgument("request.id", "a non-empty string", r.id);
  if (typeof r.capability !== "string" || r.capability === "") {
    throw invalidArgument("request.capability", "a non-empty string", r.capability);
  }
  const timeoutMs = r.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0 && !Number.isNaN(timeoutMs))) {
    throw invalidArgument("request.timeoutMs", "a positive number", timeoutMs);
  }
  if (r.waitForNodes !== undefined && typeof r.waitForNodes !== "boolean") {
    throw invalidArgument("request.waitForNodes", "a boolean", r.waitForNodes);
  }
  if (r.signal !== undefined && !(r.signal instanceof AbortSignal)) {
    throw invalidArgument("request.signal", "an AbortSignal", r.signal);
  }
  return request as Request;
}
