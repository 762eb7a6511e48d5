/**
 * The placement report of the local cluster, as pure functions: count the actors each
 * node hosts per capability, judge each capability against the configured nodes (its
 * actors must live only on nodes that have it, each on exactly one node), and format
 * the table and the verdict lines.
 */
import type { NodePlan } from "./cluster-args.js";
import type { ActorsResult } from "./cluster-protocol.js";

export interface PlacementRow {
  readonly capability: string;
  readonly module: string;
  /** Active actors of the capability's module on each node; undefined when the node did not answer. */
  readonly byNode: Readonly<Record<string, number | undefined>>;
  /** Distinct ids active somewhere. */
  readonly total: number;
  /** Ids active on more than one node at once. */
  readonly duplicates: readonly string[];
}

export interface Verdict {
  readonly capability: string;
  readonly ok: boolean;
  /** The configured nodes that have the capability. */
  readonly allowed: readonly string[];
  readonly line: string;
}

/** The capabilities of the cluster in order of first mention (game, chat, payment for the seed). */
export function clusterCapabilities(nodes: readonly NodePlan[]): string[] {
  return [...new Set(nodes.flatMap((n) => n.capabilities))];
}

/** Counts, per capability, the actors of `moduleOf(capability)` on every node. */
export function countPlacement(
  nodes: readonly NodePlan[],
  actorsByNode: Readonly<Record<string, ActorsResult | undefined>>,
  moduleOf: (capability: string) => string,
): PlacementRow[] {
  return clusterCapabilities(nodes).map((capability) => {
    const module = moduleOf(capability);
    const byNode: Record<string, number | undefined> = {};
    const where = new Map<string, number>();
    for (const { name } of nodes) {
      const ids = actorsByNode[name]?.[module];
      byNode[name] = actorsByNode[name] === undefined ? undefined : (ids?.length ?? 0);
      for (const id of ids ?? []) where.set(id, (where.get(id) ?? 0) + 1);
    }
    const duplicates = [...where].filter(([, n]) => n > 1).map(([id]) => id);
    return { capability, module, byNode, total: where.size, duplicates };
  });
}

/**
 * A capability is placed right when every one of its actors lives on a node that has
 * it, no actor lives on two nodes, and `expected` distinct actors exist.
 */
export function judge(row: PlacementRow, nodes: readonly NodePlan[], expected: number): Verdict {
  const allowed = nodes.filter((n) => n.capabilities.includes(row.capability)).map((n) => n.name);
  const hosting = nodes.filter((n) => (row.byNode[n.name] ?? 0) > 0).map((n) => n.name);
  const wrong = hosting.filter((name) => !allowed.includes(name));
  const problems: string[] = [];
  if (wrong.length > 0) {
    problems.push(`actors on ${wrong.map((w) => `${w} (${row.byNode[w]})`).join(", ")}, which lack ${row.capability}`);
  }
  if (row.duplicates.length > 0) {
    problems.push(`${row.duplicates.length} actors live on two nodes (e.g. ${row.duplicates.slice(0, 3).join(", ")})`);
  }
  if (row.total !== expected) problems.push(`${row.total} actors found, ${expected} expected`);
  const spread = hosting.map((h) => `${h} (${row.byNode[h]})`).join(", ") || "no node";
  const ok = problems.length === 0;
  const label = row.capability.padEnd(10);
  const line = ok
    ? `${label} OK    ${row.total} actors on ${spread}: only nodes with ${row.capability} [${allowed.join(", ")}]`
    : `${label} WRONG ${problems.join("; ")} (allowed: [${allowed.join(", ")}], found on ${spread})`;
  return { capability: row.capability, ok, allowed, line };
}

/**
 * The table: one row per capability, one column per node. "·" marks a node without
 * the capability (and no actors), "!" a count on a node that should have none,
 * "down" a node that did not answer.
 */
export function formatTable(rows: readonly PlacementRow[], nodes: readonly NodePlan[]): string {
  const header = ["capability", "module", ...nodes.map((n) => n.name), "total"];
  const body = rows.map((row) => [
    row.capability,
    row.module,
    ...nodes.map((n) => {
      const count = row.byNode[n.name];
      if (count === undefined) return "down";
      const has = n.capabilities.includes(row.capability);
      if (!has) return count === 0 ? "·" : `${count}!`;
      return String(count);
    }),
    String(row.total),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [format(header), rule, ...body.map(format)].join("\n");
}

/** The actor ids the drive uses for a capability: player_1…, room_1…, wallet_1…, or <capability>_1…. */
export function idsFor(capability: string, count: number): string[] {
  const prefix = ({ game: "player", chat: "room", payment: "wallet" } as Record<string, string>)[capability];
  return Array.from({ length: count }, (_, i) => `${prefix ?? capability}_${i + 1}`);
}
