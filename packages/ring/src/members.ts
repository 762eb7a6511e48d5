import { invalidArgument } from "@mesh/interface";
import type { PlacementCandidate } from "./placement.js";

/** A cluster member as the shard tables see it. */
export interface RingMember {
  /** Unique in the cluster. */
  readonly name: string;
  /**
   * Relative capacity, a positive finite number: weight 2 gets twice the shards of weight 1.
   * @default 1
   */
  readonly weight?: number;
  /** The capabilities this member hosts; duplicates are ignored. */
  readonly capabilities: readonly string[];
}

/** A member's weight when it gives none. */
export const DEFAULT_WEIGHT = 1;

/**
 * Validates `members` and groups them by capability: capability -> candidates sorted
 * by name (code-unit order, locale-independent). The result depends only on the set
 * of members, never on their order. Throws MESH_ERR_INVALID_ARGUMENT naming the
 * offending property (e.g. `members[2].weight`).
 */
export function candidatesByCapability(members: readonly RingMember[]): Map<string, PlacementCandidate[]> {
  if (!Array.isArray(members)) throw invalidArgument("members", "an array", members);
  const seen = new Set<string>();
  const byCapability = new Map<string, PlacementCandidate[]>();
  members.forEach((member: unknown, i) => {
    const at = `members[${i}]`;
    if (typeof member !== "object" || member === null) throw invalidArgument(at, "an object", member);
    const { name, weight, capabilities } = member as Partial<RingMember>;
    if (typeof name !== "string" || name === "") throw invalidArgument(`${at}.name`, "a non-empty string", name);
    if (seen.has(name)) throw invalidArgument(`${at}.name`, "unique among members", name);
    seen.add(name);
    const w = weight ?? DEFAULT_WEIGHT;
    if (typeof w !== "number" || !Number.isFinite(w) || w <= 0) {
      throw invalidArgument(`${at}.weight`, "a positive finite number", w);
    }
    if (!Array.isArray(capabilities)) throw invalidArgument(`${at}.capabilities`, "an array of strings", capabilities);
    const candidate: PlacementCandidate = Object.freeze({ name, weight: w });
    for (const [j, capability] of capabilities.entries()) {
      if (typeof capability !== "string" || capability === "") {
        throw invalidArgument(`${at}.capabilities[${j}]`, "a non-empty string", capability);
      }
      let list = byCapability.get(capability);
      if (list === undefined) {
        list = [];
        byCapability.set(capability, list);
      }
      if (list[list.length - 1] !== candidate) list.push(candidate);
    }
  });
  for (const list of byCapability.values()) list.sort(byName);
  return byCapability;
}

function byName(a: PlacementCandidate, b: PlacementCandidate): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
