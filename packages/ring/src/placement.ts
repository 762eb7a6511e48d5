import { invalidArgument, MeshError } from "@mesh/interface";
import { nameHash32, placementKey } from "./mix.js";

/** A node that may own shards of a capability. */
export interface PlacementCandidate {
  readonly name: string;
  /** Relative capacity: a node of weight 2 should get twice the shards of weight 1. Positive, finite. */
  readonly weight: number;
}

/**
 * How a capability's shards are placed on its nodes. Pluggable: every node in a
 * cluster must use the same strategy, and it must be a pure function of its
 * arguments (no clock, no randomness, no process state), or nodes disagree on owners.
 */
export interface PlacementStrategy {
  readonly name: string;
  /**
   * Returns, for each shard `0 .. shardCount-1`, the index into `nodes` of its owner.
   * `nodes` is non-empty, sorted by name (code-unit order), names unique.
   */
  buildTable(shardCount: number, capability: string, nodes: readonly PlacementCandidate[]): Uint32Array;
}

/** The simple form, like eigr/mesh's HashStrategy: the owner's name for one shard. */
export type PerShardPlacement = (
  shard: number,
  capability: string,
  sortedNodes: readonly PlacementCandidate[],
) => string;

/**
 * Adapts a per-shard function into a {@link PlacementStrategy}. The function is
 * called once per shard on every rebuild, so keep it cheap; it must return the name
 * of one of `sortedNodes`, or the rebuild throws MESH_ERR_INVALID_ARGUMENT.
 */
export function perShardStrategy(name: string, place: PerShardPlacement): PlacementStrategy {
  if (typeof name !== "string" || name === "") throw invalidArgument("name", "a non-empty string", name);
  if (typeof place !== "function") throw invalidArgument("place", "a function", place);
  return Object.freeze({
    name,
    buildTable(shardCount: number, capability: string, nodes: readonly PlacementCandidate[]): Uint32Array {
      const index = new Map<string, number>(nodes.map((node, i) => [node.name, i]));
      const table = new Uint32Array(shardCount);
      for (let shard = 0; shard < shardCount; shard++) {
        const owner = place(shard, capability, nodes);
        const i = index.get(owner);
        if (i === undefined) {
          throw new MeshError(
            "MESH_ERR_INVALID_ARGUMENT",
            `placement strategy "${name}" returned ${JSON.stringify(owner)} for shard ${shard} of "${capability}", which is not one of its ${nodes.length} candidate nodes`,
            { details: { property: "strategy", strategy: name, shard, capability } },
          );
        }
        table[shard] = i;
      }
      return table;
    },
  });
}

/** What the rendezvous strategies precompute once per build: O(N), no per-shard work. */
export interface RankingInput {
  /** Per node, the seed of its draws ({@link placementKey}). */
  readonly keys: Uint32Array;
  readonly weights: Float64Array;
  /** 1 / weight, so the inner loop multiplies instead of dividing. */
  readonly inverseWeights: Float64Array;
  /** All weights equal: compare raw draws and skip the logarithm. */
  readonly uniform: boolean;
  readonly totalWeight: number;
}

export function rankingInput(capability: string, nodes: readonly PlacementCandidate[]): RankingInput {
  if (nodes.length === 0) throw invalidArgument("nodes", "at least one candidate", nodes);
  const capabilityHash = nameHash32(capability);
  const keys = new Uint32Array(nodes.length);
  const weights = new Float64Array(nodes.length);
  const inverseWeights = new Float64Array(nodes.length);
  let uniform = true;
  // Summed in name order, so every process gets the same floating-point total.
  let totalWeight = 0;
  nodes.forEach((node, i) => {
    keys[i] = placementKey(capabilityHash, node.name);
    weights[i] = node.weight;
    inverseWeights[i] = 1 / node.weight;
    totalWeight += node.weight;
    if (node.weight !== nodes[0]?.weight) uniform = false;
  });
  if (!Number.isFinite(totalWeight)) throw invalidArgument("weights", "a finite sum", totalWeight);
  return { keys, weights, inverseWeights, uniform, totalWeight };
}
