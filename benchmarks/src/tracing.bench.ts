/**
 * What tracing costs the call path, in one run: calls/s and CPU per call through
 * node.call on two-node loopback clusters (64 in flight, about half to the other
 * node) with tracing off (`tracing: false`: the no-op steps, frames as before),
 * with `@opentelemetry/api` installed but no tracer provider (the default for
 * most installs, since prom-client brings the API along), and traced (every call
 * sampled, spans batched to an exporter that drops them, so the figure is Mesh's
 * and the SDK's work rather than an exporter's I/O), and sampled at 1% (parent-based, as
 * production would: most calls carry an unsampled context and record nothing). Setups are measured in
 * interleaved rounds, each round starting with a different one; medians.
 * Goal: the API installed with no provider costs <= 2% more CPU per call than off.
 *
 * Run: pnpm build && node benchmarks/dist/tracing.bench.js
 *      (BENCH_SECONDS per round, default 2; BENCH_ROUNDS, default 9)
 */
import { createNode, type MeshNode, type NodeInit } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-base";
import { runFor } from "./load.js";
import { fmt, PAYLOAD } from "./tcp-baseline.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const IN_FLIGHT = 64;
const IDS = Array.from({ length: 1000 }, (_, i) => `player_${i}`);

class GameActor {
  moves = 0;
  handleCall(): number {
    return ++this.moves;
  }
}

/** Counts what it is given and drops it. */
class DroppingExporter implements SpanExporter {
  spans = 0;
  export(spans: { length: number }, done: (result: { code: 0 }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** Same two node names in every cluster: placement depends only on names, so all split the ids alike. */
async function pair(tracing: NodeInit["tracing"]): Promise<[MeshNode, MeshNode]> {
  const common = {
    host: "127.0.0.1",
    multicast: false,
    gossip: { preset: "local" as const },
    actors: { GameActor },
    capabilities: ["game"],
    ...(tracing === undefined ? {} : { tracing }),
  };
  const a = await createNode({ name: "bench-a", ...common });
  const self = a.members()[0];
  const b = await createNode({ name: "bench-b", seeds: [`127.0.0.1:${self?.address.port}`], ...common });
  await waitFor("both nodes in the tables", () => a.nodesFor("game").length === 2, { timeoutMs: 10_000 });
  return [a, b];
}

interface Round {
  readonly rps: number;
  /** CPU time of this process (both nodes, the callers, the SDK) per call, in µs. */
  readonly cpuUs: number;
}

async function measure(node: MeshNode): Promise<Round> {
  const call = (i: number) =>
    node.call({ module: "GameActor", id: IDS[i % IDS.length] as string, capability: "game", payload: PAYLOAD });
  const { ops, elapsedMs, cpuUs } = await runFor(SECONDS, IN_FLIGHT, call);
  return { rps: (ops * 1000) / elapsedMs, cpuUs: cpuUs / ops };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

const exporter = new DroppingExporter();
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 4_096 })],
});
const sampledExporter = new DroppingExporter();
const sampledProvider = new BasicTracerProvider({
  sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
  spanProcessors: [new BatchSpanProcessor(sampledExporter, { maxQueueSize: 65_536, maxExportBatchSize: 4_096 })],
});
const clusters = {
  off: await pair(false),
  "no provider": await pair(undefined),
  traced: await pair({ tracerProvider: provider }),
  "sampled 1%": await pair({ tracerProvider: sampledProvider }),
};
type Setup = keyof typeof clusters;
const names = Object.keys(clusters) as Setup[];
try {
  for (const name of names) {
    const node = clusters[name][0];
    await Promise.all(IDS.map((id) => node.call({ module: "GameActor", id, capability: "game", payload: PAYLOAD })));
    await measure(node); // warm-up
  }
  const results: Record<Setup, Round[]> = { off: [], "no provider": [], traced: [], "sampled 1%": [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as Setup;
      results[name].push(await measure(clusters[name][0]));
    }
  }
  await provider.forceFlush();
  await sampledProvider.forceFlush();
  const base = median(results.off.map((r) => r.rps));
  const baseCpu = median(results.off.map((r) => r.cpuUs));
  console.log(
    `\nTracing cost: node.call, ${IN_FLIGHT} in flight, 2-node loopback cluster, ${ROUNDS} interleaved rounds of ${SECONDS} s, medians`,
  );
  console.log("setup | calls/s | calls/s per round | vs off | CPU µs/call | vs off | goal (CPU/call) | met");
  for (const name of names) {
    const rounds = results[name];
    const rps = median(rounds.map((r) => r.rps));
    const cpu = median(rounds.map((r) => r.cpuUs));
    const first = name === "off";
    const costlier = cpu / baseCpu - 1;
    const goal = name === "no provider" ? "<= 2% more" : "—";
    console.log(
      [
        name,
        fmt(rps),
        rounds.map((r) => fmt(r.rps)).join(", "),
        first ? "" : `${fmt((rps / base - 1) * 100, 1)}%`,
        fmt(cpu, 2),
        first ? "" : `${fmt(costlier * 100, 1)}%`,
        first ? "" : goal,
        name === "no provider" ? (costlier <= 0.02 ? "yes" : "NO") : "",
      ].join(" | "),
    );
  }
  console.log(`spans exported: traced ${exporter.spans}, sampled 1% ${sampledExporter.spans}`);
} finally {
  await Promise.allSettled(Object.values(clusters).flatMap((nodes) => nodes.map((n) => n.stop())));
  await provider.shutdown();
  await sampledProvider.shutdown();
}
