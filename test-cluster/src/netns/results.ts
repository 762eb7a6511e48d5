/**
 * Writes test-cluster/RESULTS.md from a full run: the run's date and machine, a
 * verdict per scenario file, each scenario's figures, and memberlist's published
 * figures for comparison where they exist.
 */
import { writeFileSync } from "node:fs";

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

export interface RunResults {
  readonly date: string;
  readonly machine: string;
  readonly verdicts: readonly Verdict[];
  readonly figures: readonly ScenarioFigures[];
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

export function formatResults(run: RunResults): string {
  const lines: string[] = [
    "# test-cluster: results of the full host run",
    "",
    "Written by `pnpm test:hosts:full` (every scenario of `test-cluster/src/hosts/` at full size, one",
    "file at a time, each node a process in its own network namespace on a private bridge). Do not edit",
    "by hand: run it again.",
    "",
    `- date: ${run.date}`,
    `- machine: ${run.machine}`,
    "",
    "## Verdicts",
    "",
    "| scenario file | outcome | time (s) | first failure |",
    "| --- | --- | --- | --- |",
    ...run.verdicts.map(
      (v) => `| ${v.file.replace(/\.test\.js$/, "")} | ${v.outcome} | ${v.seconds} | ${cell(v.errors[0] ?? "")} |`,
    ),
    "",
    "## Figures",
  ];
  const sorted = [...run.figures].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
  for (const s of sorted) {
    lines.push("", `### ${s.id}. ${s.title}`, "", "| figure | value |", "| --- | --- |");
    for (const [key, value] of Object.entries(s.figures)) lines.push(`| ${cell(key)} | ${cell(value)} |`);
    const reference = REFERENCES[s.id.split(".")[0] as string];
    if (reference !== undefined) lines.push("", `Published reference: ${reference}`);
  }
  return `${lines.join("\n")}\n`;
}

export function writeResults(file: string, run: RunResults): void {
  writeFileSync(file, formatResults(run));
}
