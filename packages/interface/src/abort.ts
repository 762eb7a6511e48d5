import { MeshError } from "./errors.js";

/** Rejects with MESH_ERR_ABORTED if the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortedError(signal);
}

export function abortedError(signal: AbortSignal): MeshError {
  return new MeshError("MESH_ERR_ABORTED", "the call was aborted by its AbortSignal", { cause: signal.reason });
}
