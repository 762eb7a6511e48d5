/**
 * What observability costs the call path, in one run: calls/s through node.call
 * on a two-node loopback cluster without an admin endpoint, with one (metrics
 * recorded on every call), and with one while the dashboard is open in Chromium
 * (the live feed pushing the cluster view once a second). The three setups are
 * measured in interleaved rounds so machine noise hits them alike; the figure is
 * the median round. The machine is shared, so throughput swings between rounds;
 * the CPU time this process spends per call (Chromium's own processes excluded)
 * is the steadier figure. Goal: metrics on and dashboard open each <= 2% more
 * CPU per call (and no throughput loss beyond the rounds' spread).
 *
 * Run: pnpm build && node benchmarks/dist/observability.bench.js
 *      (BENCH_SECONDS per round, default 2; BENCH_ROUNDS, default 15)
 */
import { existsSync } from "node:fs";
import { createNode, type MeshNode, type NodeInit } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import { chromium } from "playwright-core";
import { fmt, PAYLOAD } from "./tcp-baseline.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const IN_FLIGHT = 64;
const IDS = Array.from({ length: 1000 }, (_, i) => `player_${i}`);
const CHROMIUM = "/usr/bin/chromium";

class GameActor {
  moves = 0;
  handleCall(): number {
    return ++this.moves;
  }
}

/**
 * Both clusters use the same two node names: placement depends only on names, so
 * both split the ids between local and remote calls identically.
 */
async function pair(prefix: string, admin: NodeInit["admin"]): Promise<[MeshNode, MeshNode]> {
  const common = {
    host: "127.0.0.1",
    multicast: false,
    gossip: { preset: "local" as const },
    actors: { GameActor },
    capabilities: ["game"],
    ...(admin === undefined ? {} : { admin }),
  };
  const a = await createNode({ name: "bench-a", ...common });
  const self = a.members()[0];
  const b = await createNode({ name: "bench-b", seeds: [`127.0.0.1:${self?.address.port}`], ...common });
  await waitFor(`${prefix}: both nodes in the tables`, () => a.nodesFor("game").length === 2, { timeoutMs: 10_000 });
  return [a, b];
}

interface Round {
  readonly rps: number;
  /** CPU time of this process (both nodes and the callers; not Chromium's) per call, in µs. */
  readonly cpuUs: number;
}

/** Calls completed per second with IN_FLIGHT calls outstanding from `node` (about half go to the other node). */
async function measure(node: MeshNode): Promise<Round> {
  let done = 0;
  let next = 0;
  const end = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      await node.call({
        module: "GameActor",
        id: IDS[next++ % IDS.length] as string,
        capability: "game",
        payload: PAYLOAD,
      });
      done++;
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.cpuUsage(cpu);
  return { rps: (done * 1000) / (performance.now() - started), cpuUs: (used.user + used.system) / done };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

const off = await pair("off", undefined);
const on = await pair("on", { port: 0 });
const adminOf = on[0].members().find((m) => m.name === on[0].name)?.tags.admin;
const browser = existsSync(CHROMIUM)
  ? await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] })
  : undefined;
const page = await browser?.newPage({ viewport: { width: 1360, height: 900 } });
try {
  for (const node of [off[0], on[0]])
    await Promise.all(IDS.map((id) => node.call({ module: "GameActor", id, capability: "game", payload: PAYLOAD })));
  const results: Record<"off" | "metrics" | "dashboard", Round[]> = { off: [], metrics: [], dashboard: [] };
  await measure(off[0]); // warm-up
  await measure(on[0]);
  const setups: [keyof typeof results, () => Promise<Round>][] = [
    ["off", () => measure(off[0])],
    ["metrics", () => measure(on[0])],
  ];
  if (page !== undefined) {
    setups.push([
      "dashboard",
      async () => {
        await page.goto(`http://${adminOf}/`);
        await page.locator('#members tr[data-node="bench-b"]').waitFor({ timeout: 10_000 });
        const round = await measure(on[0]);
        await page.goto("about:blank"); // closes the live feed
        return round;
      },
    ]);
  }
  // Each round starts with a different setup, so none always follows the same one.
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < setups.length; k++) {
      const [name, run] = setups[(round + k) % setups.length] as (typeof setups)[number];
      results[name].push(await run());
    }
  }
  const base = median(results.off.map((r) => r.rps));
  const baseCpu = median(results.off.map((r) => r.cpuUs));
  console.log(
    `\nObservability cost: node.call, ${IN_FLIGHT} in flight, 2-node loopback cluster, ${ROUNDS} interleaved rounds of ${SECONDS} s, medians`,
  );
  console.log("setup | calls/s | calls/s per round | vs off | CPU µs/call | vs off | goal (CPU/call) | met");
  const row = (name: string, rounds: Round[]) => {
    if (rounds.length === 0) return console.log(`${name} | skipped (no ${CHROMIUM}) | | | | | |`);
    const rps = median(rounds.map((r) => r.rps));
    const cpu = median(rounds.map((r) => r.cpuUs));
    const first = name === "admin off";
    const costlier = cpu / baseCpu - 1;
    console.log(
      [
        name,
        fmt(rps),
        rounds.map((r) => fmt(r.rps)).join(", "),
        first ? "" : `${fmt((rps / base - 1) * 100, 1)}%`,
        fmt(cpu, 2),
        first ? "" : `${fmt(costlier * 100, 1)}%`,
        first ? "" : "<= 2% more",
        first ? "" : costlier <= 0.02 ? "yes" : "NO",
      ].join(" | "),
    );
  };
  row("admin off", results.off);
  row("metrics on", results.metrics);
  row("metrics on + dashboard open", results.dashboard);
} finally {
  await browser?.close();
  await Promise.allSettled([...off, ...on].map((n) => n.stop()));
}
