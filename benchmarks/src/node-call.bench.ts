/**
 * The public call path on one node: `node.call` on a node created with the
 * network options (multicast pinned to 127.0.0.1), an echo actor, 256 workers
 * each awaiting `node.call` in a loop. Calls to 1,000 active actors,
 * activations of 100,000 new actors, and latency at 1 in flight, for the
 * default (copying) path and for `localCalls: "reference"`. Beside them the
 * runtime alone and a trivial Map-and-promise loop, in the same run, as floors.
 *
 * Run: `pnpm build && node benchmarks/dist/node-call.bench.js`
 * (BENCH_MODES=copy or BENCH_MODES=reference runs one mode; BENCH_TIME_MS per task, default 2000).
 */
import { randomBytes, randomInt } from "node:crypto";
import { loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ActorRuntime } from "@mesh/actors";
import { createNode, type MeshNode } from "@mesh/node";
import { Bench, hrtimeNow } from "tinybench";

class EchoActor {
  handleCall(payload: unknown): unknown {
    return payload;
  }
}

const ACTIVATIONS = 100_000;
const ACTIVE_ACTORS = 1_000;
const CALLS = 100_000;
const IN_FLIGHT = 256;
const PAYLOAD = { op: "echo", n: 1 };
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 2000);
const MODES = (process.env.BENCH_MODES ?? "copy,reference").split(",") as ("copy" | "reference")[];

async function closedLoop(total: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) await op(i);
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < inFlight; w++) workers.push(worker());
  await Promise.all(workers);
}

/** Flat id strings, as ids decoded off the wire would be. */
function freshIds(n: number): string[] {
  const stamp = `a${Math.random().toString(36).slice(2, 8)}-`;
  return Array.from({ length: n }, (_, i) => Buffer.from(`${stamp}${i}`, "latin1").toString("latin1"));
}

const collect: () => void = (globalThis as { gc?: () => void }).gc ?? exposeGc();
function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** A node with the network options; a random port, group and secret keep it out of any other cluster. */
function networkedNode(localCalls: "copy" | "reference"): Promise<MeshNode> {
  return createNode({
    name: `bench-${randomBytes(3).toString("hex")}`,
    capabilities: ["game"],
    actors: { EchoActor },
    port: randomInt(40_000, 60_000),
    multicastAddr: `239.255.${randomInt(1, 254)}.${randomInt(1, 254)}`,
    multicastInterface: "127.0.0.1",
    host: "127.0.0.1",
    secret: randomBytes(16).toString("hex"),
    callTimeoutMs: 60_000,
    localCalls,
  });
}

const bench = new Bench({ time: TIME_MS, warmupTime: 300, iterations: 10, now: hrtimeNow });
const ops = new Map<string, number>();
const nodes: MeshNode[] = [];
const hotIds = freshIds(ACTIVE_ACTORS);

for (const mode of MODES) {
  const node = await networkedNode(mode);
  nodes.push(node);
  await closedLoop(ACTIVE_ACTORS, IN_FLIGHT, (i) =>
    node.call({ module: "EchoActor", id: hotIds[i] as string, capability: "game", payload: PAYLOAD }),
  );
  const callsName = `${mode}: calls to 1,000 active actors, 256 in flight`;
  ops.set(callsName, CALLS);
  bench.add(callsName, () =>
    closedLoop(CALLS, IN_FLIGHT, (i) =>
      node.call({ module: "EchoActor", id: hotIds[i % ACTIVE_ACTORS] as string, capability: "game", payload: PAYLOAD }),
    ),
  );
  let activationNode = node;
  let ids: string[] = [];
  const activationsName = `${mode}: activations of 100,000 new actors, 256 in flight`;
  ops.set(activationsName, ACTIVATIONS);
  bench.add(
    activationsName,
    () =>
      closedLoop(ACTIVATIONS, IN_FLIGHT, (i) =>
        activationNode.call({ module: "EchoActor", id: ids[i] as string, capability: "game", payload: PAYLOAD }),
      ),
    {
      beforeEach: async () => {
        activationNode = await networkedNode(mode);
        ids = freshIds(ACTIVATIONS);
        collect();
      },
      afterEach: () => activationNode.stop(),
    },
  );
  let k = 0;
  bench.add(`${mode}: one call at 1 in flight (latency)`, () =>
    node.call({ module: "EchoActor", id: hotIds[k++ % ACTIVE_ACTORS] as string, capability: "game", payload: PAYLOAD }),
  );
}

// Floors in the same run: the runtime alone, and a Map plus a promise per call.
const runtime = new ActorRuntime();
runtime.register("EchoActor", EchoActor);
await closedLoop(ACTIVE_ACTORS, IN_FLIGHT, (i) => runtime.call("EchoActor", hotIds[i] as string, PAYLOAD));
const runtimeName = "floor: ActorRuntime.call, 1,000 active actors, 256 in flight";
ops.set(runtimeName, CALLS);
bench.add(runtimeName, () =>
  closedLoop(CALLS, IN_FLIGHT, (i) => runtime.call("EchoActor", hotIds[i % ACTIVE_ACTORS] as string, PAYLOAD)),
);
const table = new Map<string, EchoActor>();
const trivial = (id: string, payload: unknown): Promise<unknown> => {
  let actor = table.get(id);
  if (actor === undefined) {
    actor = new EchoActor();
    table.set(id, actor);
  }
  return Promise.resolve(actor.handleCall(payload));
};
const trivialName = "floor: Map + promise per call, 1,000 ids, 256 in flight";
ops.set(trivialName, CALLS);
bench.add(trivialName, () =>
  closedLoop(CALLS, IN_FLIGHT, (i) => trivial(hotIds[i % ACTIVE_ACTORS] as string, PAYLOAD)),
);
let trivialIds: string[] = [];
const trivialActivations = "floor: Map + promise, 100,000 new ids, 256 in flight";
ops.set(trivialActivations, ACTIVATIONS);
bench.add(
  trivialActivations,
  () => closedLoop(ACTIVATIONS, IN_FLIGHT, (i) => trivial(trivialIds[i] as string, PAYLOAD)),
  {
    beforeEach: () => {
      table.clear();
      trivialIds = freshIds(ACTIVATIONS);
      collect();
    },
  },
);

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}, ${TIME_MS} ms per task`,
);
await bench.run();
for (const task of bench.tasks) {
  const latency = task.result?.latency;
  if (latency === undefined) continue;
  const perRun = ops.get(task.name);
  const meanMs = latency.mean;
  if (perRun === undefined) {
    console.log(
      `${task.name}: p50 ${((latency.p50 ?? Number.NaN) * 1000).toFixed(2)} µs, mean ${(meanMs * 1000).toFixed(2)} µs`,
    );
  } else {
    const perSec = (perRun / meanMs) * 1000;
    console.log(`${task.name}: ${Math.round(perSec).toLocaleString("en-US")}/s (${task.runs} runs)`);
  }
}
for (const node of nodes) await node.stop();
await runtime.stop();
