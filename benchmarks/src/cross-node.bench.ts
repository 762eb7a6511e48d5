/**
 * Mesh cross-node routed calls against the raw TCP baseline, measured in the same
 * run and interleaved (tcp-baseline.ts). The calling node has no capability, so it
 * owns none of the 1,000 actor ids: every call is routed to the owner node in
 * another process. Goals (issue 4): >= 0.9x the baseline at 1 in flight with
 * p50 <= baseline + 10 µs; >= 0.8x at 16; >= 0.75x at 256.
 *
 * Run: pnpm build && node benchmarks/dist/cross-node.bench.js   (BENCH_SECONDS=4 per point and system)
 */
import { createNode } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import {
  CONCURRENCIES,
  fmt,
  measureInterleaved,
  PAYLOAD,
  pointSeconds,
  spawnServer,
  startBaseline,
} from "./tcp-baseline.js";

const GOALS: Readonly<Record<number, { ratio: number; p50SlackUs?: number }>> = {
  1: { ratio: 0.9, p50SlackUs: 10 },
  16: { ratio: 0.8 },
  256: { ratio: 0.75 },
};
const IDS = Array.from({ length: 1000 }, (_, i) => `player_${i}`);

const owner = await spawnServer("./mesh-node-child.js", ["owner", "game", "-"]);
const caller = await createNode({
  name: "caller",
  host: "127.0.0.1",
  multicast: false,
  seeds: [`127.0.0.1:${owner.port}`],
  gossip: { preset: "local" },
  callTimeoutMs: 30_000,
});
const baseline = await startBaseline("microtask");
try {
  await waitFor("the caller to see the owner's game capability", () => caller.nodesFor("game").length === 1, {
    timeoutMs: 10_000,
  });
  let next = 0;
  const mesh = {
    serverPid: owner.pid,
    send: () =>
      caller.call({
        module: "GameActor",
        id: IDS[next++ % IDS.length] as string,
        capability: "game",
        payload: PAYLOAD,
      }),
  };
  // Activate every actor first, so the figures are calls, not activations.
  await Promise.all(IDS.map(() => mesh.send()));
  console.log(
    `\nMesh routed calls (caller owns none of the ids) vs raw TCP baseline, two processes each, ${pointSeconds()} s per point`,
  );
  console.log("in flight | base req/s | base p50 µs | mesh req/s | mesh p50 µs | mesh p99 µs | ratio | goal | met");
  for (const concurrency of CONCURRENCIES) {
    const [base, routed] = await measureInterleaved([baseline.system, mesh], concurrency);
    if (base === undefined || routed === undefined) continue;
    const goal = GOALS[concurrency] ?? { ratio: 0 };
    const ratio = routed.rps / base.rps;
    const p50Ok = goal.p50SlackUs === undefined || routed.p50Us <= base.p50Us + goal.p50SlackUs;
    console.log(
      [
        concurrency,
        fmt(base.rps),
        fmt(base.p50Us, 1),
        fmt(routed.rps),
        fmt(routed.p50Us, 1),
        fmt(routed.p99Us, 1),
        fmt(ratio, 2),
        `>= ${goal.ratio}x${goal.p50SlackUs === undefined ? "" : `, p50 <= base + ${goal.p50SlackUs} µs`}`,
        ratio >= goal.ratio && p50Ok ? "yes" : "NO",
      ].join(" | "),
    );
  }
  const failures = caller.stats().failures;
  console.log(`failed calls: ${JSON.stringify(failures)}`);
} finally {
  await caller.stop();
  await baseline.stop();
  await owner.stop();
}
