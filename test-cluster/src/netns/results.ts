/**
 * Writes test-cluster/RESULTS.md from a full run: the run's date and machine, a
 * verdict per scenario file, each scenario's figures, and memberlist's published
 * figures for comparison where they exist.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export interface Verdict {
  readonly file: string;
  readonly passed: boolean;
  readonly outcome: string;
  readonly errors: readonly string[];
  readonly seconds: number;
}

export interface ScenarioFigures {
  readonly id: string;
  readonly title: string;
  readonly at: string;
  readonly figures: Readonly<Record<string, unknown>>;
}

/** One scenario file's run: when, where, its verdict and the figures it reported. */
export interface FileResult {
  readonly at: string;
  readonly machine: string;
  readonly verdict: Verdict;
  readonly figures: readonly ScenarioFigures[];
}

export function readRecord(file: string): FileResult[] {
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
    return Array.isArray(parsed) ? (parsed as FileResult[]) : [];
  } catch {
    return [];
  }
}

export function writeRecord(file: string, results: readonly FileResult[]): void {
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** Published memberlist / Lifeguard figures next to the scenarios they compare with. */
const REFERENCES: Readonly<Record<string, string>> = {
  "3":
    "memberlist (DefaultLANConfig, hashicorp/memberlist config.go): probe every 1 s, ack within 500 ms, " +
    "suspicion `SuspicionMult 4 × log10(N+1) × ProbeInterval` (with Lifeguard up to 6× that, shrinking with " +
    "confirmations): a crash is declared about 4–5 s after its first failed probe at N = 4. Here T = 200 ms " +
    "(memberlist's Local preset with a shorter interval), so the same formula gives about 1/5 of that.",
  "5":
    "memberlist publishes no loss figure of its own; Serf's convergence simulator (serf.io/docs/internals/simulator) " +
    "models gossip under a chosen packet loss, and the Lifeguard paper (arXiv 1707.00788) measures false " +
    "positives under slow message processing rather than loss.",
  "6":
    "Lifeguard paper (Dadgar, Phillips, Currey, arXiv 1707.00788): in controlled tests the Lifeguard " +
    "extensions cut the false-positive rate by more than 50× relative to SWIM, with a modest rise in " +
    "detection latency. Compare the false suspicions and deaths with Lifeguard on and off above.",
};

function cell(value: unknown): string {
  return String(value).replaceAll("|", "\\|").replaceAll("\n", " ");
}

export function formatResults(results: readonly FileResult[]): string {
  const machines = [...new Set(results.map((r) => r.machine))];
  const lines: string[] = [
    "# test-cluster: results of the full host run",
    "",
    "Written by `pnpm test:hosts:full` (every scenario of `test-cluster/src/hosts/` at full size, one",
    "file at a time, each node a process in its own network namespace on a private bridge; the",
    "same data is in `results.json`). Do not edit by hand: run it again.",
    "",
    `- machine: ${machines.join("; ") || "none yet"}`,
    "",
    "## Verdicts",
    "",
    "| scenario file | run at | outcome | time (s) | failures |",
    "| --- | --- | --- | --- | --- |",
    ...results.map(
      ({ at, verdict: v }) =>
        `| ${v.file.replace(/\.test\.js$/, "")} | ${at.slice(0, 16).replace("T", " ")} UTC | ${v.outcome} | ${v.seconds} | ${cell(v.errors.join(" · "))} |`,
    ),
    "",
    "## Figures",
  ];
  const sorted = results.flatMap((r) => r.figures).sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
  for (const s of sorted) {
    lines.push("", `### ${s.id}. ${s.title}`, "", "| figure | value |", "| --- | --- |");
    for (const [key, value] of Object.entries(s.figures)) lines.push(`| ${cell(key)} | ${cell(value)} |`);
    const reference = REFERENCES[s.id.split(".")[0] as string];
    if (reference !== undefined) lines.push("", `Published reference: ${reference}`);
  }
  return `${lines.join("\n")}\n`;
}

export function writeResults(file: string, results: readonly FileResult[]): void {
  writeFileSync(file, formatResults(results));
}
