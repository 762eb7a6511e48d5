import { draw, nameHash32, placementKey, SHARD_SPREAD, weightedScore } from "./mix.js";
import type { PlacementCandidate } from "./placement.js";

/**
 * Each candidate's rendezvous score -weight / ln(u) for one shard, in the order given: the value
 * both built-in strategies rank nodes by (higher wins; bounded rendezvous skips a
 * node at its load cap). For explaining a placement, not for computing one.
 */
export function placementScores(shard: number, capability: string, nodes: readonly PlacementCandidate[]): number[] {
  const capabilityHash = nameHash32(capability);
  const term = Math.imul(shard, SHARD_SPREAD);
  // -1 / (ln(u) / w) = -w / ln(u): the same order, as a positive number.
  return nodes.map((node) => -1 / weightedScore(draw(placementKey(capabilityHash, node.name), term), 1 / node.weight));
}
