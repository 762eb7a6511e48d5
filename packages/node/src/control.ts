import { invalidArgument } from "@mesh/interface";

/**
 * Node-to-node control messages ride the call transport as calls to reserved
 * module names, so they share its connections, ordering, encryption and flow
 * control. User modules may not use the prefix.
 */
export const CONTROL_PREFIX = "$mesh:";
/** payload: [module, state, from]: restore this actor's state here. */
export const HANDOFF = "$mesh:handoff";
/** payload: [shards, from]: the sender has handed off everything it had on these shards. */
export const HANDOFF_DONE = "$mesh:handoff-done";

export function isControl(module: string): boolean {
  return module.startsWith(CONTROL_PREFIX);
}

export function checkUserModule(property: string, module: string): void {
  if (isControl(module)) throw invalidArgument(property, `a module name not starting with "${CONTROL_PREFIX}"`, module);
}

export function handoffPayload(payload: unknown): { module: string; state: unknown; from: string } | undefined {
  if (!Array.isArray(payload) || payload.length !== 3) return undefined;
  const [module, state, from] = payload as [unknown, unknown, unknown];
  return typeof module === "string" && typeof from === "string" ? { module, state, from } : undefined;
}

export function handoffDonePayload(payload: unknown): { shards: number[]; from: string } | undefined {
  if (!Array.isArray(payload) || payload.length !== 2) return undefined;
  const [shards, from] = payload as [unknown, unknown];
  if (!Array.isArray(shards) || typeof from !== "string") return undefined;
  if (!shards.every((s) => Number.isInteger(s) && s >= 0)) return undefined;
  return { shards: shards as number[], from };
}
