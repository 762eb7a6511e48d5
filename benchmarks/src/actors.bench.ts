/**
 * @mesh/actors on its own (no node, no network): activations/s, calls/s at 256
 * in flight, and call latency at 1 in flight, against the targets of issue 2.
 * Memory per idle actor is measured by actor-memory.ts.
 *
 * Run: `node benchmarks/dist/actors.bench.js` (after building). Each activation
 * round starts from a collected heap (gc is exposed from here, untimed).
 *
 * Figures are wall-clock (what the targets mean). On a shared machine the
 * process may get less than a core, so each bulk task also reports its rate
 * per CPU-second of this process (user + system, GC helper threads included,
 * so that figure is, if anything, pessimistic), and the load average is printed.
 */
import { loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ActorRuntime } from "@mesh/actors";
import { Bench, hrtimeNow } from "tinybench";

class Counter {
  n = 0;
  handleCall(payload: unknown): unknown {
    this.n += payload as number;
    return this.n;
  }
  handleCast(payload: unknown): void {
    this.n += payload as number;
  }
}

class AsyncCounter {
  n = 0;
  async handleCall(payload: unknown): Promise<unknown> {
    this.n += payload as number;
    return this.n;
  }
}

const ACTIVATIONS = 100_000;
const ACTIVE_ACTORS = 1_000;
const CALLS = 100_000;
const IN_FLIGHT = 256;

/** `total` operations by `inFlight` workers, each awaiting one operation at a time. */
async function closedLoop(total: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < total; i = next++) await op(i);
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < inFlight; w++) workers.push(worker());
  await Promise.all(workers);
}

/**
 * New id strings every round, so the Map hashes them as it would ids off the
 * wire; decoded from a buffer as a request's id would be (flat strings, not the
 * cons strings a template literal makes, which a Map would first flatten).
 */
function freshIds(n: number): string[] {
  const stamp = `a${Math.random().toString(36).slice(2, 8)}-`;
  return Array.from({ length: n }, (_, i) => Buffer.from(`${stamp}${i}`, "latin1").toString("latin1"));
}

function newRuntime(): ActorRuntime {
  const runtime = new ActorRuntime();
  runtime.register("Counter", Counter);
  runtime.register("AsyncCounter", AsyncCounter);
  return runtime;
}

/** CPU time (µs) and operations per bulk task, to report ops per CPU-second. */
const cpu = new Map<string, { us: number; ops: number }>();
function bulk(name: string, ops: number, work: () => unknown): () => Promise<void> {
  const account = { us: 0, ops: 0 };
  cpu.set(name, account);
  return async () => {
    const start = process.cpuUsage();
    await work();
    const used = process.cpuUsage(start);
    account.us += used.user + used.system;
    account.ops += ops;
  };
}

const bench = new Bench({ time: 2000, warmupTime: 500, now: hrtimeNow });
const collect: () => void = (globalThis as { gc?: () => void }).gc ?? exposeGc();
function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

// --- activations -------------------------------------------------------------
let runtime = newRuntime();
let ids: string[] = [];
const activationRound = {
  beforeEach: () => {
    runtime = newRuntime();
    ids = freshIds(ACTIVATIONS);
    collect(); // settle the setup and the previous round's actors, untimed
  },
  afterEach: () => runtime.stop(),
};
const T_ACTIVATE_CALL = "activate 100k actors (call, 256 in flight)";
const T_ACTIVATE_CAST = "activate 100k actors (cast)";
bench.add(
  T_ACTIVATE_CALL,
  bulk(T_ACTIVATE_CALL, ACTIVATIONS, () =>
    closedLoop(ACTIVATIONS, IN_FLIGHT, (i) => runtime.call("Counter", ids[i] as string, 1)),
  ),
  activationRound,
);
bench.add(
  T_ACTIVATE_CAST,
  bulk(T_ACTIVATE_CAST, ACTIVATIONS, () => {
    for (let i = 0; i < ACTIVATIONS; i++) runtime.cast("Counter", ids[i] as string, 1);
  }),
  activationRound,
);

// Same-run floor for activation by call: the closed loop inserting a new
// { id, instance } record in a Map per id and answering from it, no runtime.
let floorMap = new Map<string, { id: string; actor: Counter }>();
const T_ACTIVATE_BASE = "baseline: 100k Map inserts + instances, 256 in flight";
bench.add(
  T_ACTIVATE_BASE,
  bulk(T_ACTIVATE_BASE, ACTIVATIONS, () =>
    closedLoop(ACTIVATIONS, IN_FLIGHT, (i) => {
      const id = ids[i] as string;
      let entry = floorMap.get(id);
      if (entry === undefined) {
        entry = { id, actor: new Counter() };
        floorMap.set(id, entry);
      }
      return Promise.resolve(entry.actor.handleCall(1));
    }),
  ),
  {
    beforeEach: () => {
      floorMap = new Map();
      ids = freshIds(ACTIVATIONS);
      collect();
    },
  },
);

// --- calls to 1,000 active actors -----------------------------------------------
const hot = newRuntime();
const hotIds = Array.from({ length: ACTIVE_ACTORS }, (_, i) => `hot-${i}`);
for (const id of hotIds) {
  hot.cast("Counter", id, 0);
  await hot.call("AsyncCounter", id, 0);
}
const T_CALLS_SYNC = "100k calls to 1k actors, sync handler, 256 in flight";
const T_CALLS_ASYNC = "100k calls to 1k actors, async handler, 256 in flight";
const T_CALLS_BASE = "baseline: 100k awaited Promise.resolve, 256 in flight";
bench.add(
  T_CALLS_SYNC,
  bulk(T_CALLS_SYNC, CALLS, () =>
    closedLoop(CALLS, IN_FLIGHT, (i) => hot.call("Counter", hotIds[i % ACTIVE_ACTORS] as string, 1)),
  ),
);
bench.add(
  T_CALLS_ASYNC,
  bulk(T_CALLS_ASYNC, CALLS, () =>
    closedLoop(CALLS, IN_FLIGHT, (i) => hot.call("AsyncCounter", hotIds[i % ACTIVE_ACTORS] as string, 1)),
  ),
);
// Same-run floor: the closed loop itself around an already-resolved promise.
bench.add(
  T_CALLS_BASE,
  bulk(T_CALLS_BASE, CALLS, () => closedLoop(CALLS, IN_FLIGHT, (i) => Promise.resolve(i))),
);

// --- latency at 1 in flight ----------------------------------------------------
const T_LAT_SYNC = "1 call at 1 in flight (sync handler)";
const T_LAT_ASYNC = "1 call at 1 in flight (async handler)";
const T_LAT_BASE = "baseline: 1 awaited Promise.resolve";
let turn = 0;
bench.add(T_LAT_SYNC, () => hot.call("Counter", hotIds[turn++ % ACTIVE_ACTORS] as string, 1));
bench.add(T_LAT_ASYNC, () => hot.call("AsyncCounter", hotIds[turn++ % ACTIVE_ACTORS] as string, 1));
bench.add(T_LAT_BASE, () => Promise.resolve(turn++));

const loadBefore = loadavg()[0] ?? 0;
await bench.run();
const loadAfter = loadavg()[0] ?? 0;
await hot.stop();

// --- report --------------------------------------------------------------------
const result = (name: string) => {
  const r = bench.getTask(name)?.result;
  if (r === undefined || r.error !== undefined) throw new Error(`no result for ${name}: ${String(r?.error)}`);
  return r;
};
const wallPerSec = (name: string, ops: number): number => (ops / result(name).latency.mean) * 1000;
const cpuPerSec = (name: string): number => {
  const account = cpu.get(name);
  return account === undefined || account.us === 0 ? Number.NaN : (account.ops / account.us) * 1e6;
};
const p50Us = (name: string): number => (result(name).latency.p50 ?? Number.NaN) * 1000;
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

const rows: Record<string, string>[] = [];
const rate = (measure: string, name: string, ops: number, target?: number): void => {
  const wall = wallPerSec(name, ops);
  rows.push({
    measure,
    "wall /s": fmt(wall),
    "per CPU-s": fmt(cpuPerSec(name)),
    target: target === undefined ? "" : `>= ${fmt(target)} /s`,
    met: target === undefined ? "" : wall >= target ? "yes" : "NO",
  });
};
const latency = (measure: string, name: string, target?: number): void => {
  const p50 = p50Us(name);
  rows.push({
    measure,
    "wall /s": `p50 ${fmt(p50, 2)} µs`,
    "per CPU-s": "",
    target: target === undefined ? "" : `<= ${fmt(target, 2)} µs`,
    met: target === undefined ? "" : p50 <= target ? "yes" : "NO",
  });
};

rate("activations, 100k distinct actors, call at 256 in flight", T_ACTIVATE_CALL, ACTIVATIONS, 1_000_000);
rate("activations, 100k distinct actors, cast", T_ACTIVATE_CAST, ACTIVATIONS, 1_000_000);
rate("baseline: the same closed loop over a bare Map of new records", T_ACTIVATE_BASE, ACTIVATIONS);
rate("calls to 1k active actors, 256 in flight, sync handler", T_CALLS_SYNC, CALLS, 3_000_000);
rate("calls to 1k active actors, 256 in flight, async handler", T_CALLS_ASYNC, CALLS, 3_000_000);
rate("baseline: the closed loop alone (awaited Promise.resolve)", T_CALLS_BASE, CALLS);
latency("call latency at 1 in flight, sync handler", T_LAT_SYNC, 2);
latency("call latency at 1 in flight, async handler", T_LAT_ASYNC, 2);
latency("baseline: one awaited Promise.resolve (harness floor)", T_LAT_BASE);

console.log(
  `@mesh/actors — node ${process.version}, ${new Date().toISOString()}, ` +
    `load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)} on this machine`,
);
console.table(rows);
console.log("tinybench raw results:");
console.table(bench.table());
