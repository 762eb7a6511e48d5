import { draw, SHARD_SPREAD, scoreCeiling, weightedScore } from "./mix.js";
import type { PlacementCandidate, PlacementStrategy } from "./placement.js";
import { rankingInput } from "./placement.js";

/**
 * Weighted rendezvous (highest random weight) hashing. Each node draws a number
 * u in (0, 1) per shard from (its key, shard); the shard goes to the node with the
 * highest score -weight / ln(u) (ties: the node first by name). Node i wins a shard
 * with probability weight_i / totalWeight, independently per shard.
 *
 * Guarantees, because a node's score depends only on itself and the shard:
 * - a leaving node's shards move and no other shard does;
 * - a joining node takes shards only for itself (on average shardCount / (N+1));
 * - the table does not depend on the order nodes were learned in.
 *
 * Balance is statistical only: a node's load is Binomial(S, w_i/W), standard
 * deviation sqrt(S p (1-p)), ~6.4 shards around a fair share of 41 at S=4096, N=100,
 * so the busiest of 100 nodes typically holds ~1.4x its fair share. Use
 * {@link boundedRendezvous} (the default) when the 1.1x balance bound matters more
 * than strict leave-minimality.
 *
 * Cost: one pass of N integer mixes per shard (plus, when weights differ, a table logarithm for the
 * few nodes whose cheap upper bound could beat the best so far), no allocation per shard.
 */
export const rendezvous: PlacementStrategy = Object.freeze({
  name: "rendezvous",
  buildTable(shardCount: number, capability: string, nodes: readonly PlacementCandidate[]): Uint32Array {
    const { keys, inverseWeights, uniform } = rankingInput(capability, nodes);
    const n = keys.length;
    const table = new Uint32Array(shardCount);
    for (let shard = 0; shard < shardCount; shard++) {
      const term = Math.imul(shard, SHARD_SPREAD);
      let best = 0;
      if (uniform) {
        // Equal weights: -w/ln(u) is increasing in u, so compare the integer draws.
        let bestDraw = -1;
        for (let i = 0; i < n; i++) {
          const d = draw(keys[i] as number, term);
          if (d > bestDraw) {
            bestDraw = d;
            best = i;
          }
        }
      } else {
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < n; i++) {
          const d = draw(keys[i] as number, term);
          const inverse = inverseWeights[i] as number;
          if (scoreCeiling(d, inverse) <= bestScore) continue; // cannot win: skip the log
          const score = weightedScore(d, inverse);
          if (score > bestScore) {
            bestScore = score;
            best = i;
          }
        }
      }
      table[shard] = best;
    }
    return table;
  },
});
