import { MeshError } from "@mesh/interface";

/** The MeshErrors this package raises, each naming the actor in words and in `details`. */

export function actorThrew(module: string, id: string, where: string, cause: unknown): MeshError {
  return new MeshError("MESH_ERR_ACTOR_THREW", `actor ${module}/${id} threw in ${where}: ${describeError(cause)}`, {
    cause,
    details: { module, id, where },
  });
}

export function activationFailed(module: string, id: string, cause: unknown): MeshError {
  return new MeshError(
    "MESH_ERR_ACTIVATION_FAILED",
    `actor ${module}/${id} failed to activate: ${describeError(cause)}`,
    {
      cause,
      details: { module, id },
    },
  );
}

export function overloaded(module: string, id: string, capacity: number): MeshError {
  return new MeshError(
    "MESH_ERR_OVERLOADED",
    `actor ${module}/${id} has ${capacity} messages waiting (its mailbox capacity)`,
    {
      details: { module, id, capacity },
    },
  );
}

export function reentrant(module: string, id: string, chain: readonly string[]): MeshError {
  return new MeshError(
    "MESH_ERR_REENTRANT_CALL",
    `actor ${module}/${id} is already waiting in this call chain (${[...chain, `${module}/${id}`].join(" -> ")}); the call would never be answered`,
    { details: { module, id, chain: [...chain] } },
  );
}

export function deactivated(module: string, id: string, reason: string): MeshError {
  return new MeshError(
    "MESH_ERR_DEACTIVATED",
    `actor ${module}/${id} was deactivated (${reason}) before the message ran`,
    {
      details: { module, id, reason },
    },
  );
}

export function unknownModule(module: string, node: string): MeshError {
  return new MeshError("MESH_ERR_UNKNOWN_MODULE", `node ${node} has no actor module "${module}" registered`, {
    details: { module, node },
  });
}

export function runtimeStopped(node: string): MeshError {
  return new MeshError("MESH_ERR_NODE_STOPPED", `the actor runtime of node ${node} is stopped`, { details: { node } });
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return typeof error;
  }
}

/** A queued call whose remote caller gave up (deadline passed, cancelled, connection gone): its turn is skipped. */
export function abandonedError(): MeshError {
  return new MeshError("MESH_ERR_TIMEOUT", "the caller gave up before this message's turn came; it was not run");
}
