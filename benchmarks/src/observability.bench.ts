/**
 * What observability costs the call path, in one run: calls/s through node.call
 * on a two-node loopback cluster whose nodes run the admin endpoint, with calls
 * not recorded ("off"), recorded ("metrics on"), recorded with a second set of
 * prom-client's between-scrape collectors (what one set costs), and recorded
 * while the dashboard is open in Chromium (the live feed pushing the cluster
 * view once a second). The cluster and its callers run in a process of their
 * own (observability-cluster.js) and every setup runs in that same process, so
 * what differs between setups is only what is measured: two processes running
 * the same code differ by up to ~8% in CPU per call (where V8 and the allocator
 * happened to put things), more than the goal. Fresh processes start every
 * ROUNDS_PER_BLOCK rounds, so several such layouts are sampled.
 *
 * Each round runs every setup once, in a shuffled order (BENCH_SEED), each after a settle
 * (dashboard loaded, or the page on about:blank, which closes the feed); each
 * setup's round is compared with the same round's "off" (for the dashboard: with
 * the same round's "metrics on"), and the figure is the median of those ratios
 * ("paired"), which cancels the machine's drift between rounds. A second "off"
 * in every round (A/A) shows the method's own noise. Reported per setup:
 * calls/s, the cluster process's CPU time per call, its CPU share, and the CPU
 * Chromium used meanwhile.
 * Goals: metrics on (recording + collectors) and dashboard open each <= 2% fewer calls/s.
 *
 * BENCH_PIN=1 pins the cluster process to CPU 0 and this process and Chromium
 * to CPU 1 (taskset): a viewer's browser runs on the operator's machine, not on
 * the node's cores. Without it everything shares every core.
 *
 * Run: pnpm build && node benchmarks/dist/observability.bench.js
 *      (BENCH_SECONDS per round, default 4; BENCH_ROUNDS, default 40; BENCH_PIN=1;
 *       BENCH_CPU_PROF=<dir> runs the cluster processes under node --cpu-prof)
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { shuffle } from "@mesh/interface";
import { SeededRandom } from "@mesh/testing";
import { chromium } from "playwright-core";
import { fmt } from "./tcp-baseline.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const PIN = process.env.BENCH_PIN === "1";
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** Pause before each round, so a page load or unload does not run into the measurement, in milliseconds. */
const SETTLE_MS = 500;
/** Rounds run on one cluster process before a fresh one starts. */
const ROUNDS_PER_BLOCK = 10;
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

/** How the cluster process runs a round (see observability-cluster.ts). */
type Mode = "off" | "on" | "collectors";

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
  /** GCs per second the second set of collectors saw ("collectors" rounds). */
  readonly gcPerS?: number;
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

  static async start(): Promise<{ cluster: Cluster; admin: string }> {
    const node = [...(CPU_PROF === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${CPU_PROF}`])];
    const argv = [...node, join(here, "observability-cluster.js")];
    const child = PIN
      ? spawn("taskset", ["-c", CLUSTER_CPU, process.execPath, ...argv], { stdio: ["pipe", "pipe", "inherit"] })
      : spawn(process.execPath, argv, { stdio: ["pipe", "pipe", "inherit"] });
    const cluster = new Cluster(child, createInterface({ input: child.stdout as NodeJS.ReadableStream }));
    const { admin } = JSON.parse(await cluster.#next()) as { admin: string };
    return { cluster, admin };
  }

  async #next(): Promise<string> {
    const { value, done } = await this.#lines.next();
    if (done === true) throw new Error(`cluster process ${this.child.pid} exited`);
    return value;
  }

  /** One round over `modes`: one result per mode, in their order. */
  async measure(modes: readonly Mode[]): Promise<Omit<Round, "browserMsPerS">[]> {
    this.child.stdin?.write(`measure ${SECONDS} ${modes.join(",")}\n`);
    return JSON.parse(await this.#next()) as Omit<Round, "browserMsPerS">[];
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

/** The q-quantile of the values (by sorting a copy). */
const quantile = (xs: number[], q: number) =>
  [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;

// Pinned, this process (and so Chromium, which it starts) keeps to the browser's CPU.
if (PIN) execFileSync("taskset", ["-a", "-p", "-c", BROWSER_CPU, String(process.pid)], { stdio: "ignore" });
/** The cluster process of the current block: a fresh one every ROUNDS_PER_BLOCK rounds. */
let current: Awaited<ReturnType<typeof Cluster.start>> | undefined;
const clusters = (): Cluster[] => (current === undefined ? [] : [current.cluster]);
const browser = existsSync(CHROMIUM)
  ? await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] })
  : undefined;
const page = await browser?.newPage({ viewport: { width: 1360, height: 900 } });
type Setup = "off" | "offAgain" | "metrics" | "collectors" | "closed" | "dashboard";
/** The sliced round's slots (see observability-cluster.ts), in the order of its answer. */
const SLICED: readonly [Setup, Mode][] = [
  ["off", "off"],
  ["offAgain", "off"],
  ["metrics", "on"],
  ["collectors", "collectors"],
];
try {
  const cluster = () => (current as NonNullable<typeof current>).cluster;
  /** One round over `modes` (one result per mode), with Chromium's CPU meanwhile (new processes count from zero). */
  const round = async (modes: readonly Mode[]): Promise<Round[]> => {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const before = cpuMsOf(browserPids(clusters()));
    const started = performance.now();
    const measured = await cluster().measure(modes);
    const seconds = (performance.now() - started) / 1000;
    let browserMs = 0;
    for (const [pid, ms] of cpuMsOf(browserPids(clusters()))) browserMs += ms - (before.get(pid) ?? 0);
    return measured.map((m) => ({ ...m, browserMsPerS: browserMs / seconds }));
  };
  /** A round with the dashboard closed (the page on about:blank closes the live feed). */
  const closed = async (modes: readonly Mode[]): Promise<Round[]> => {
    if (page !== undefined && page.url() !== "about:blank") await page.goto("about:blank");
    return round(modes);
  };
  const open = async (): Promise<Round> => {
    const { admin } = current as NonNullable<typeof current>;
    if (page === undefined) throw new Error("no browser");
    await page.goto(`http://${admin}/`);
    await page.locator('#members tr[data-node="bench-b"]').waitFor({ timeout: 10_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    const metrics = async () =>
      new Map((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value] as const));
    const before = await metrics();
    const started = performance.now();
    const [measured] = (await round(["on"])) as [Round];
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
  };
  const results: Record<Setup, Round[]> = {
    off: [],
    offAgain: [],
    metrics: [],
    collectors: [],
    closed: [],
    dashboard: [],
  };
  const sliced = async () => {
    const rounds = await closed(SLICED.map(([, mode]) => mode));
    for (const [i, [setup]] of SLICED.entries()) results[setup].push(rounds[i] as Round);
  };
  const setups: (() => Promise<void>)[] = [sliced];
  if (page !== undefined) {
    setups.push(async () => void results.closed.push(...(await closed(["on"]))));
    setups.push(async () => void results.dashboard.push(await open()));
  }
  // Each round runs its parts in a shuffled order (seeded, so a run can be
  // repeated), so none always follows the same one: a part that runs after the
  // dashboard closes takes that with it.
  const random = new SeededRandom(Number(process.env.BENCH_SEED ?? 1));
  for (let r = 0; r < ROUNDS; r++) {
    if (r % ROUNDS_PER_BLOCK === 0) {
      await current?.cluster.stop();
      current = await Cluster.start();
    }
    const order = shuffle(random, [...setups]);
    for (const run of order) await run();
  }
  /** Per round, `setup` against the same round's `base` (median, and the middle half of the rounds). */
  const paired = (setup: Setup, base: Setup, f: (r: Round) => number) => {
    const ratios = results[setup].map((r, i) => f(r) / f(results[base][i] as Round) - 1);
    return { median: quantile(ratios, 0.5), low: quantile(ratios, 0.25), high: quantile(ratios, 0.75) };
  };
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${fmt(x * 100, 1)}%`;
  console.log(
    `\nObservability cost: node.call, 64 in flight, 2-node loopback cluster with admin endpoints, every setup in one process (a fresh one every ${ROUNDS_PER_BLOCK} rounds), ${ROUNDS} rounds; each round: off / off / on / collectors sliced every 100 ms over ${SECONDS} s, then dashboard closed and open, ${SECONDS} s each, ${PIN ? `pinned (cluster on CPU ${CLUSTER_CPU}, Chromium on CPU ${BROWSER_CPU})` : "unpinned"}`,
  );
  console.log(
    "setup | against | calls/s (median) | calls/s paired (median [middle half]) | CPU µs/call (median) | CPU/call paired | CPU share | Chromium ms/s",
  );
  const rows: [string, Setup, Setup | undefined][] = [
    ["calls not recorded (off)", "off", undefined],
    ["off again (A/A: the method's noise)", "offAgain", "off"],
    ["metrics on (every call recorded)", "metrics", "off"],
    ["+ a second set of process collectors", "collectors", "metrics"],
    ["metrics on, a round of its own (dashboard closed)", "closed", undefined],
    ["metrics on + dashboard open", "dashboard", "closed"],
  ];
  const figure: Partial<Record<Setup, number>> = {};
  for (const [label, setup, base] of rows) {
    const rounds = results[setup];
    if (rounds.length === 0) {
      console.log(`${label} | skipped (no ${CHROMIUM}) | | | | | |`);
      continue;
    }
    const rps = base === undefined ? undefined : paired(setup, base, (r) => r.rps);
    if (rps !== undefined) figure[setup] = rps.median;
    console.log(
      [
        label,
        base ?? "",
        fmt(median(rounds.map((r) => r.rps))),
        rps === undefined ? "" : `${pct(rps.median)} [${pct(rps.low)}, ${pct(rps.high)}]`,
        fmt(median(rounds.map((r) => r.cpuUs)), 2),
        base === undefined ? "" : pct(paired(setup, base, (r) => r.cpuUs).median),
        `${fmt(median(rounds.map((r) => r.share)) * 100)}%`,
        fmt(median(rounds.map((r) => r.browserMsPerS)), 1),
      ].join(" | "),
    );
  }
  console.log(
    `GCs per second seen by the second set of collectors: ${fmt(median(results.collectors.map((r) => r.gcPerS ?? 0)))}`,
  );
  // A second set of collectors cannot make calls faster: a gain there is noise,
  // and it is not allowed to offset the recording's cost.
  const collectorsCost = Math.min(0, figure.collectors ?? 0);
  const metricsOn = (figure.metrics ?? 0) + collectorsCost;
  console.log(
    `goal, metrics on <= 2% fewer calls/s: recording ${pct(figure.metrics ?? 0)} + collectors ${pct(collectorsCost)} (measured ${pct(figure.collectors ?? 0)}; a gain counts as 0) = ${pct(metricsOn)}: ${metricsOn >= -0.02 ? "met" : "NOT met"}`,
  );
  if (figure.dashboard !== undefined) {
    console.log(
      `goal, dashboard open <= 2% fewer calls/s than closed: ${pct(figure.dashboard)}: ${figure.dashboard >= -0.02 ? "met" : "NOT met"}`,
    );
    const of = (name: (typeof PAGE_METRICS)[number]) =>
      fmt(median(results.dashboard.map((r) => r.page?.[name] ?? 0)), name === "LayoutCount" ? 1 : 2);
    console.log(
      `dashboard page main thread, medians per second (the round includes its ${SETTLE_MS / 1000} s settle): tasks ${of("TaskDuration")} ms, script ${of("ScriptDuration")} ms, layout ${of("LayoutDuration")} ms, style ${of("RecalcStyleDuration")} ms, ${of("LayoutCount")} layouts`,
    );
  }
} finally {
  await browser?.close();
  await current?.cluster.stop();
}
