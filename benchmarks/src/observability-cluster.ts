/**
 * One two-node loopback cluster, both nodes with their admin endpoint, and its
 * callers in a process of its own, for observability.bench.js. Prints
 * {"admin": "host:port"} once both nodes see each other; then each line
 * "measure <seconds> <mode>[,<mode>...]" on stdin runs one round and prints, for
 * each mode given, {"rps", "cpuUs", "share"} (calls/s, CPU µs per call, CPU time over wall time; in "collectors",
 * also "gcPerS", the GCs the second set saw per second). Modes:
 * - "off": calls are not recorded (node.pauseRecording), the endpoint keeps running;
 * - "on": every call recorded, as a node with `admin` does;
 * - "collectors": recorded, plus a second set of the collectors prom-client's
 *   default metrics keep running between scrapes (a GC PerformanceObserver and
 *   an event-loop-delay monitor at its 10 ms resolution). The process has one
 *   set in every mode; the second set's cost is what one set costs.
 * With several modes the round is sliced between them (see measure).
 * Exits when stdin closes.
 */
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { shuffle, systemRandom } from "@mesh/interface";
import { createNode, type NodeInit } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import { runFor } from "./load.js";
import { PAYLOAD } from "./tcp-baseline.js";

const IN_FLIGHT = 64;
const IDS = Array.from({ length: 1000 }, (_, i) => `player_${i}`);
const MODES = ["off", "on", "collectors"] as const;
type Mode = (typeof MODES)[number];

class GameActor {
  moves = 0;
  handleCall(): number {
    return ++this.moves;
  }
}

const common: Omit<NodeInit, "name"> = {
  host: "127.0.0.1",
  multicast: false,
  gossip: { preset: "local" },
  actors: { GameActor },
  capabilities: ["game"],
  admin: { port: 0 },
};
const a = await createNode({ name: "bench-a", ...common });
const b = await createNode({ name: "bench-b", seeds: [`127.0.0.1:${a.members()[0]?.address.port}`], ...common });
await waitFor("both nodes in the tables", () => a.nodesFor("game").length === 2, { timeoutMs: 10_000 });
await Promise.all(IDS.map((id) => a.call({ module: "GameActor", id, capability: "game", payload: PAYLOAD })));

/** prom-client's GC duration buckets, in seconds. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];

/** A second set of prom-client's between-scrape collectors; the returned stop gives the GCs they saw. */
function startCollectors(): () => number {
  const gcCounts = new Float64Array(GC_BUCKETS.length + 1);
  const observer = new PerformanceObserver((list) => {
    const seconds = (list.getEntries()[0]?.duration ?? 0) / 1000;
    let i = 0;
    while (i < GC_BUCKETS.length && seconds > (GC_BUCKETS[i] as number)) i++;
    gcCounts[i] = (gcCounts[i] as number) + 1;
  });
  observer.observe({ entryTypes: ["gc"] });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return () => {
    observer.disconnect();
    delay.disable();
    return gcCounts.reduce((sum, n) => sum + n, 0);
  };
}

/** Length of one slice of a round, in milliseconds. */
const SLICE_MS = 100;

interface Measured {
  readonly rps: number;
  readonly cpuUs: number;
  readonly share: number;
  readonly gcPerS?: number;
}

/**
 * Calls completed per second with IN_FLIGHT calls outstanding from node a
 * (about half go to b), for each of `modes` (one entry per slot; a mode may
 * appear twice). With more than one slot the round is cut into SLICE_MS slices
 * that go to the slots in a shuffled order every cycle, and each call counts for
 * the slot whose slice it started in: the slots share the round's conditions,
 * so what the machine did during the round cancels in their ratios.
 */
async function measure(seconds: number, modes: readonly Mode[]): Promise<Measured[]> {
  const totals = modes.map(() => ({ ops: 0, ms: 0, cpuUs: 0, gcs: 0 }));
  let slot = 0;
  let stopCollectors: (() => number) | undefined;
  let sliceStarted = performance.now();
  let sliceCpu = process.cpuUsage();
  const enter = (next: number) => {
    slot = next;
    a.pauseRecording(modes[slot] === "off");
    stopCollectors = modes[slot] === "collectors" ? startCollectors() : undefined;
    sliceStarted = performance.now();
    sliceCpu = process.cpuUsage();
  };
  const leave = () => {
    const total = totals[slot] as (typeof totals)[number];
    const cpu = process.cpuUsage(sliceCpu);
    total.ms += performance.now() - sliceStarted;
    total.cpuUs += cpu.user + cpu.system;
    total.gcs += stopCollectors?.() ?? 0;
  };
  let cycle: number[] = [];
  const nextSlot = (): number => {
    if (cycle.length === 0)
      cycle = shuffle(
        systemRandom,
        modes.map((_, i) => i),
      );
    return cycle.pop() as number;
  };
  enter(nextSlot());
  const next = () => {
    leave();
    enter(nextSlot());
  };
  const switcher = modes.length > 1 ? setInterval(next, SLICE_MS) : undefined;
  const call = (i: number) => {
    (totals[slot] as (typeof totals)[number]).ops++; // started; as many finish while 64 stay in flight
    return a.call({ module: "GameActor", id: IDS[i % IDS.length] as string, capability: "game", payload: PAYLOAD });
  };
  await runFor(seconds, IN_FLIGHT, call);
  clearInterval(switcher);
  leave();
  a.pauseRecording(false);
  return totals.map(({ ops, ms, cpuUs, gcs }, i) => ({
    rps: (ops * 1000) / ms,
    cpuUs: cpuUs / ops,
    share: cpuUs / 1000 / ms,
    ...(modes[i] === "collectors" ? { gcPerS: (gcs * 1000) / ms } : {}),
  }));
}

// Warm-up: the JIT settles on the call path with and without recording.
await measure(3, MODES);
const admin = a.members().find((m) => m.name === a.name)?.tags.admin ?? null;
process.stdout.write(`${JSON.stringify({ admin })}\n`);
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, seconds, list = ""] = line.split(" ");
  const modes = list.split(",") as Mode[];
  if (command !== "measure" || !modes.every((m) => MODES.includes(m))) throw new Error(`unknown command: ${line}`);
  process.stdout.write(`${JSON.stringify(await measure(Number(seconds), modes))}\n`);
}
await Promise.allSettled([a.stop(), b.stop()]);
process.exit(0);
