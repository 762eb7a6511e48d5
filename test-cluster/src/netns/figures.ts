/**
 * The figures a host scenario measures: printed as test diagnostics, and in a full
 * run (MESH_HOSTS_FIGURES=<dir>, set by `pnpm test:hosts:full`) also written as one
 * JSON file per scenario, from which results.ts writes test-cluster/RESULTS.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Figures = Record<string, string | number | boolean | null>;

/** What a test context offers for printing. */
interface Diagnostic {
  diagnostic(message: string): void;
}

/** Prints `figures` of scenario `id` ("2. stable load") and records them in a full run. */
export function report(t: Diagnostic, id: string, title: string, figures: Figures): void {
  for (const [key, value] of Object.entries(figures)) t.diagnostic(`${id} ${key}: ${value}`);
  const dir = process.env.MESH_HOSTS_FIGURES;
  if (dir === undefined || dir === "") return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${id.replace(/[^A-Za-z0-9]+/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ id, title, at: new Date().toISOString(), figures }, null, 2)}\n`);
}

/** The p-th percentile (0..100) of `values` (nearest rank), NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
