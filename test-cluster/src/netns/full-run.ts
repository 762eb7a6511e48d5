/**
 * `pnpm test:hosts:full`: every host scenario at full size (MESH_HOSTS_FULL=1), one
 * file at a time, then test-cluster/RESULTS.md with the date, the machine, each
 * scenario's verdict (and first error), its figures, and memberlist's published
 * figures where there are any. Each scenario file runs with a deadline; a leftover
 * lab is removed after each one. Arguments select files by name prefix; the others
 * keep what test-cluster/results.json holds from an earlier run.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeLeftovers } from "./leftovers.js";
import {
  type FileResult,
  readRecord,
  type ScenarioFigures,
  type Verdict,
  writeRecord,
  writeResults,
} from "./results.js";

const hostsDir = fileURLToPath(new URL("../hosts/", import.meta.url));
const resultsFile = fileURLToPath(new URL("../../RESULTS.md", import.meta.url));
/** The same results, machine-readable: what a later run of some files merges into. */
const recordFile = fileURLToPath(new URL("../../results.json", import.meta.url));
/** The longest one scenario file may run, in ms. */
const FILE_DEADLINE_MS = 40 * 60_000;

/** The assertion messages in TAP output: `error: '…'` lines and the first line of `error: |-` blocks. */
function failureMessages(output: string): string[] {
  const messages: string[] = [];
  const lines = output.split("\n");
  for (const [i, line] of lines.entries()) {
    const quoted = /^\s+error: (['"])(.*)\1$/.exec(line);
    if (quoted !== null) messages.push(quoted[2] as string);
    else if (/^\s+error: \|-$/.test(line)) messages.push((lines[i + 1] ?? "").trim());
  }
  return messages.filter((m) => m !== "" && !/subtests? failed/.test(m));
}

function runFile(file: string, figuresDir: string): Promise<Verdict> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--test", "--test-timeout=2400000", join(hostsDir, file)], {
      env: { ...process.env, MESH_HOSTS_FULL: "1", MESH_HOSTS_FIGURES: figuresDir },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGTERM"), FILE_DEADLINE_MS);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const failures = failureMessages(output);
      resolve({
        file,
        passed: code === 0,
        outcome: code === 0 ? "pass" : signal !== null ? `killed (${signal})` : "FAIL",
        errors: failures,
        seconds: Math.round((performance.now() - started) / 1000),
      });
    });
  });
}

const only = process.argv.slice(2);
const files = readdirSync(hostsDir)
  .filter((f) => f.endsWith(".test.js"))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const cpu = cpus();
const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}, Node.js ${process.version}`;
// A run of some files keeps what an earlier run recorded for the others.
const kept = readRecord(recordFile).filter((entry) => !files.includes(entry.verdict.file));
const entries: FileResult[] = [];
for (const file of files) {
  console.log(`\n== ${file}`);
  const figuresDir = mkdtempSync(join(tmpdir(), "mesh-hosts-figures-"));
  const at = new Date().toISOString();
  const verdict = await runFile(file, figuresDir);
  removeLeftovers();
  const figures = readdirSync(figuresDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(figuresDir, f), "utf8")) as ScenarioFigures);
  rmSync(figuresDir, { recursive: true, force: true });
  entries.push({ at, machine, verdict, figures });
}
const all = [...kept, ...entries].sort((a, b) => a.verdict.file.localeCompare(b.verdict.file));
writeRecord(recordFile, all);
writeResults(resultsFile, all);
console.log(`\nwrote ${resultsFile}`);
process.exit(entries.every((e) => e.verdict.passed) ? 0 : 1);
