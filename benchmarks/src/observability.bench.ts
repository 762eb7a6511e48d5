/**
 * What observability costs the call path, in one run: calls/s through node.call
 * on a two-node loopback cluster without an admin endpoint, with one (metrics
 * recorded on every call, prom-client's process collectors running), and with
 * one while the dashboard is open in Chromium (the live feed pushing the cluster
 * view once a second). Each cluster runs in its own process
 * (observability-cluster.js), so "off" carries nothing of the admin endpoint.
 * The three setups are measured in interleaved rounds so machine noise hits them
 * alike; every round starts after the page settles (dashboard loaded, or
 * about:blank) and the figure is the median round. Reported per setup: calls/s,
 * the cluster process's CPU time per call, and the CPU Chromium used meanwhile.
 * Calls/s swing with what else the machine runs, so each setup's round is also
 * compared with the same round's "off" (median of those ratios: "paired"), the
 * best round of each setup is shown (the least disturbed), and so are the
 * process's CPU per call and CPU share (CPU time over wall time).
 * Goal: metrics on and dashboard open each <= 2% fewer calls/s.
 *
 * BENCH_PIN=1 pins the cluster processes to CPU 0 and this process and Chromium
 * to CPU 1 (taskset), for every setup alike: a viewer's browser runs on the
 * operator's machine, not on the node's cores. Without it everything shares
 * every core.
 *
 * Run: pnpm build && node benchmarks/dist/observability.bench.js
 *      (BENCH_SECONDS per round, default 2; BENCH_ROUNDS, default 20; BENCH_PIN=1;
 *       BENCH_CPU_PROF=<dir> runs the cluster processes under node --cpu-prof;
 *       BENCH_AA=1 runs "off" against "off", for the method's own noise)
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { fmt } from "./tcp-baseline.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const PIN = process.env.BENCH_PIN === "1";
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** BENCH_AA=1: the "metrics on" process runs without admin too (no dashboard): the method's own noise. */
const AA = process.env.BENCH_AA === "1";
const SECOND = AA ? "off" : "on";
/** Pause before each round, so a page load or unload does not run into the measurement, in milliseconds. */
const SETTLE_MS = 1_000;
/** Rounds run on one pair of cluster processes before a fresh pair starts. */
const ROUNDS_PER_BLOCK = 2;
const CHROMIUM = "/usr/bin/chromium";
const CLUSTER_CPU = "0";
const BROWSER_CPU = "1";
/** What the page's main thread spent, from Chromium's Performance domain. */
const PAGE_METRICS = [
  "TaskDuration",
  "ScriptDuration",
  "LayoutDuration",
  "RecalcStyleDuration",
  "LayoutCount",
] as const;
const here = dirname(fileURLToPath(import.meta.url));

interface Round {
  readonly rps: number;
  /** CPU time of the cluster process (both nodes and the callers) per call, in µs. */
  readonly cpuUs: number;
  /** CPU time of the cluster process over wall time: what the machine gave it (1 = one full core). */
  readonly share: number;
  /** The dashboard page's main thread (CDP Performance metrics), in ms (layouts: count) per second. */
  readonly page?: Readonly<Record<(typeof PAGE_METRICS)[number], number>>;
  /** CPU time of Chromium's processes during the round, in ms per second. */
  readonly browserMsPerS: number;
}

/** One cluster process, driven over its stdin/stdout. */
class Cluster {
  readonly #lines: AsyncIterator<string>;
  private constructor(
    readonly child: ChildProcess,
    lines: Interface,
  ) {
    this.#lines = lines[Symbol.asyncIterator]();
  }

  static async start(setup: "off" | "on"): Promise<{ cluster: Cluster; admin: string | null }> {
    const node = [...(CPU_PROF === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF}`])];
    const argv = [...node, join(here, "observability-cluster.js"), setup];
    const child = PIN
      ? spawn("taskset", ["-c", CLUSTER_CPU, process.execPath, ...argv], { stdio: ["pipe", "pipe", "inherit"] })
      : spawn(process.execPath, argv, { stdio: ["pipe", "pipe", "inherit"] });
    const cluster = new Cluster(child, createInterface({ input: child.stdout as NodeJS.ReadableStream }));
    const { admin } = JSON.parse(await cluster.#next()) as { admin: string | null };
    return { cluster, admin };
  }

  async #next(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done === true) throw new Error(`cluster process ${this.child.pid} exited`);
    return value;
  }

  async measure(): Promise<Omit<Round, "browserMsPerS">> {
    this.child.stdin?.write(`measure ${SECONDS}\n`);
    return JSON.parse(await this.#next()) as Omit<Round, "browserMsPerS">;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin?.end(); // the process stops its nodes and exits (and writes its profile)
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Parent pid of every process, from /proc. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      map.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  return map;
}

/** Chromium's processes: this process's descendants but the cluster processes (and theirs). */
function browserPids(clusters: readonly Cluster[]): number[] {
  const skip = new Set(clusters.map((c) => c.child.pid));
  const byParent = new Map<number, number[]>();
  for (const [pid, parent] of parents()) byParent.set(parent, [...(byParent.get(parent) ?? []), pid]);
  const found: number[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    for (const pid of byParent.get(queue.pop() as number) ?? []) {
      if (skip.has(pid)) continue;
      found.push(pid);
      queue.push(pid);
    }
  }
  return found;
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** User and system CPU of `pids` so far, in ms (a process that exits meanwhile drops out). */
function cpuMsOf(pids: readonly number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      used.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS);
    } catch {
      // gone
    }
  }
  return used;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

// Pinned, this process (and so Chromium, which it starts) keeps to the browser's CPU.
if (PIN) execFileSync("taskset", ["-a", "-p", "-c", BROWSER_CPU, String(process.pid)], { stdio: "ignore" });
/** The cluster processes of the current block: fresh ones every ROUNDS_PER_BLOCK rounds. */
let off: Awaited<ReturnType<typeof Cluster.start>> | undefined;
let on: Awaited<ReturnType<typeof Cluster.start>> | undefined;
let clusters: Cluster[] = [];
/**
 * Two processes running the same code differ by up to ~8% in CPU per call (where
 * V8 and the allocator happened to put things; measured with "off" against
 * "off"), so each block of rounds starts fresh processes, and which of the two
 * starts first alternates between blocks.
 */
async function startBlock(block: number): Promise<void> {
  await Promise.allSettled(clusters.map((c) => c.stop()));
  if (block % 2 === 0) {
    off = await Cluster.start("off");
    on = await Cluster.start(SECOND);
  } else {
    on = await Cluster.start(SECOND);
    off = await Cluster.start("off");
  }
  clusters = [off.cluster, on.cluster];
}
const browser =
  existsSync(CHROMIUM) && !AA
    ? await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] })
    : undefined;
const page = await browser?.newPage({ viewport: { width: 1360, height: 900 } });
try {
  /** One round of `cluster`, with Chromium's CPU meanwhile (new processes count from zero). */
  const round = async (cluster: Cluster): Promise<Round> => {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const before = cpuMsOf(browserPids(clusters));
    const started = performance.now();
    const measured = await cluster.measure();
    const seconds = (performance.now() - started) / 1000;
    let browserMs = 0;
    for (const [pid, ms] of cpuMsOf(browserPids(clusters))) browserMs += ms - (before.get(pid) ?? 0);
    return { ...measured, browserMsPerS: browserMs / seconds };
  };
  /** A round with the dashboard closed (the page on about:blank closes the live feed). */
  const closed = async (cluster: Cluster): Promise<Round> => {
    if (page !== undefined && page.url() !== "about:blank") await page.goto("about:blank");
    return round(cluster);
  };
  const results: Record<"off" | "metrics" | "dashboard", Round[]> = { off: [], metrics: [], dashboard: [] };
  const setups: [keyof typeof results, () => Promise<Round>][] = [
    ["off", () => closed((off as NonNullable<typeof off>).cluster)],
    ["metrics", () => closed((on as NonNullable<typeof on>).cluster)],
  ];
  if (page !== undefined) {
    setups.push([
      "dashboard",
      async () => {
        const { admin, cluster } = on as NonNullable<typeof on>;
        await page.goto(`http://${admin}/`);
        await page.locator('#members tr[data-node="bench-b"]').waitFor({ timeout: 10_000 });
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Performance.enable");
        const metrics = async () =>
          new Map((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value] as const));
        const before = await metrics();
        const started = performance.now();
        const measured = await round(cluster);
        const after = await metrics();
        const seconds = (performance.now() - started) / 1000;
        await cdp.detach();
        const perSecond = (name: (typeof PAGE_METRICS)[number]) => {
          const delta = (after.get(name) ?? 0) - (before.get(name) ?? 0);
          return (name === "LayoutCount" ? delta : delta * 1000) / seconds; // durations come in seconds
        };
        return {
          ...measured,
          page: Object.fromEntries(PAGE_METRICS.map((name) => [name, perSecond(name)])) as Round["page"],
        };
      },
    ]);
  }
  // Each round starts with a different setup, so none always follows the same one.
  for (let r = 0; r < ROUNDS; r++) {
    if (r % ROUNDS_PER_BLOCK === 0) await startBlock(r / ROUNDS_PER_BLOCK);
    for (let k = 0; k < setups.length; k++) {
      const [name, run] = setups[(r + k) % setups.length] as (typeof setups)[number];
      results[name].push(await run());
    }
  }
  const bestOff = Math.max(...results.off.map((r) => r.rps));
  console.log(
    `\nObservability cost: node.call, 64 in flight, 2-node loopback cluster per process (fresh processes every ${ROUNDS_PER_BLOCK} rounds), ${ROUNDS} interleaved rounds of ${SECONDS} s, ${PIN ? `pinned (clusters on CPU ${CLUSTER_CPU}, Chromium on CPU ${BROWSER_CPU})` : "unpinned"}`,
  );
  if (AA) console.log('A/A check: the "metrics on" row is a second process without an admin endpoint');
  console.log(
    "setup | calls/s (median) | vs off (paired) | calls/s (best round) | vs off | CPU µs/call (median) | vs off (paired) | CPU share | Chromium ms/s | goal: <= 2% slower (paired) | calls/s per round",
  );
  const pct = (x: number) => `${fmt(x * 100, 1)}%`;
  const row = (name: string, rounds: Round[]) => {
    if (rounds.length === 0) {
      return console.log(`${name} | skipped (${AA ? "BENCH_AA" : `no ${CHROMIUM}`}) | | | | | | | | |`);
    }
    const first = name === "admin off";
    // Each round against the same round's "off": the machine's drift between rounds cancels.
    const paired = (f: (r: Round) => number) => median(rounds.map((r, i) => f(r) / f(results.off[i] as Round) - 1));
    const rps = paired((r) => r.rps);
    const best = Math.max(...rounds.map((r) => r.rps));
    console.log(
      [
        name,
        fmt(median(rounds.map((r) => r.rps))),
        first ? "" : pct(rps),
        fmt(best),
        first ? "" : pct(best / bestOff - 1),
        fmt(median(rounds.map((r) => r.cpuUs)), 2),
        first ? "" : pct(paired((r) => r.cpuUs)),
        `${fmt(median(rounds.map((r) => r.share)) * 100)}%`,
        fmt(median(rounds.map((r) => r.browserMsPerS)), 1),
        first ? "" : rps >= -0.02 ? "met" : "NOT met",
        rounds.map((r) => fmt(r.rps)).join(", "),
      ].join(" | "),
    );
  };
  row("admin off", results.off);
  row("metrics on", results.metrics);
  row("metrics on + dashboard open", results.dashboard);
  if (results.dashboard.length > 0) {
    const of = (name: (typeof PAGE_METRICS)[number]) =>
      fmt(median(results.dashboard.map((r) => r.page?.[name] ?? 0)), name === "LayoutCount" ? 1 : 2);
    console.log(
      `dashboard page main thread, medians per second (the round includes its ${SETTLE_MS / 1000} s settle): tasks ${of("TaskDuration")} ms, script ${of("ScriptDuration")} ms, layout ${of("LayoutDuration")} ms, style ${of("RecalcStyleDuration")} ms, ${of("LayoutCount")} layouts`,
    );
  }
} finally {
  await browser?.close();
  await Promise.allSettled(clusters.map((c) => c.stop()));
}
