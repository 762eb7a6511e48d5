import type { ActorRequest } from "@mesh/actors";
import { invalidArgument } from "@mesh/interface";
import { checkCapability } from "./capability.js";

/** What a caller asks for: an actor, by module and id, on the nodes that have `capability`. */
export interface Request extends Readonly<ActorRequest> {
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
  checkCapability("request.capability", r.capability);
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
