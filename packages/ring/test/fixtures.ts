import type { SeededRandom } from "@mesh/testing";
import type { PlacementCandidate, PlacementStrategy } from "../src/index.js";

export const SHARDS = 4096;

/** Candidates sorted by name, as strategies receive them. */
export function sorted(nodes: readonly PlacementCandidate[]): PlacementCandidate[] {
  return [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `n` nodes with random, unique names (weights from `weight`, default 1), sorted. */
export function randomNodes(random: SeededRandom, n: number, weight: () => number = () => 1): PlacementCandidate[] {
  const names = new Set<string>();
  while (names.size < n) names.add(randomName(random));
  return sorted([...names].map((name) => ({ name, weight: weight() })));
}

export function randomName(random: SeededRandom): string {
  return `node-${Math.floor(random.next() * 2 ** 32).toString(36)}`;
}

/** The owner's name per shard. */
export function owners(
  strategy: PlacementStrategy,
  nodes: readonly PlacementCandidate[],
  capability = "game",
  shardCount = SHARDS,
): string[] {
  const table = strategy.buildTable(shardCount, capability, nodes);
  return Array.from(table, (i) => (nodes[i] as PlacementCandidate).name);
}

/** Shards per node name. */
export function loads(ownerNames: readonly string[]): Map<string, number> {
  const result = new Map<string, number>();
  for (const name of ownerNames) result.set(name, (result.get(name) ?? 0) + 1);
  return result;
}

/** Busiest node's load / its fair share. */
export function maxLoadRatio(ownerNames: readonly string[], nodes: readonly PlacementCandidate[]): number {
  const total = nodes.reduce((sum, node) => sum + node.weight, 0);
  const byNode = loads(ownerNames);
  let worst = 0;
  for (const node of nodes) {
    const fair = (ownerNames.length * node.weight) / total;
    worst = Math.max(worst, (byNode.get(node.name) ?? 0) / fair);
  }
  return worst;
}

export function countDifferent(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/**
 * Allowed join movement: 1/(N+1) + max(2%, 5 sigma). F4 asks for 2%; the count a
 * newcomer wins is Binomial(S, 1/(N+1)) for any stateless per-shard scheme, so below
 * N = 7 the 2% line is under 5 standard deviations (0.15-0.75% of random clusters at
 * N <= 3 cross it). Random-seed tests use this bound so they never fail by chance;
 * a fixed corpus checks the exact F4 bound deterministically.
 */
export function joinAllowance(n: number, shardCount = SHARDS): number {
  const p = 1 / (n + 1);
  return p + Math.max(0.02, 5 * Math.sqrt((p * (1 - p)) / shardCount));
}
