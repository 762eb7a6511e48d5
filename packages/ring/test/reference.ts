import { boundedCaps, type PlacementCandidate } from "../src/index.js";
import { draw, lnUnit, nameHash32, placementKey, SHARD_SPREAD } from "../src/mix.js";

/**
 * The placement rules written plainly, for tests: every node's score is computed
 * (no pruning, no equal-weight shortcut), the highest wins, ties go to the node
 * first by name; the bounded variant skips nodes at their cap. The shipped
 * strategies must produce exactly these tables.
 */
export function referenceTable(
  shardCount: number,
  capability: string,
  nodes: readonly PlacementCandidate[],
  loadFactor?: number,
): number[] {
  const capabilityHash = nameHash32(capability);
  const keys = nodes.map((node) => placementKey(capabilityHash, node.name));
  const weights = Float64Array.from(nodes, (node) => node.weight);
  const total = nodes.reduce((sum, node) => sum + node.weight, 0);
  const caps = loadFactor === undefined ? undefined : boundedCaps(shardCount, weights, total, loadFactor);
  const load = nodes.map(() => 0);
  const table: number[] = [];
  for (let shard = 0; shard < shardCount; shard++) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    nodes.forEach((node, i) => {
      if (caps !== undefined && (load[i] ?? 0) >= (caps[i] ?? 0)) return;
      const score = lnUnit(draw(keys[i] ?? 0, Math.imul(shard, SHARD_SPREAD))) * (1 / node.weight);
      if (best < 0 || score > bestScore) {
        best = i;
        bestScore = score;
      }
    });
    table.push(best);
    load[best] = (load[best] ?? 0) + 1;
  }
  return table;
}
