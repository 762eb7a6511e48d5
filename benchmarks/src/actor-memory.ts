/**
 * Memory per idle actor in @mesh/actors: the heap delta over 1,000,000 activated
 * actors, minus the actors' own state (the same 1,000,000 instances measured on
 * their own), against the target of <= 500 bytes (issue 2; eigr/mesh: ~4.8 KB).
 * Then passivates them all on a fake clock and checks the memory comes back.
 * Run: `node benchmarks/dist/actor-memory.js`
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ActorRuntime, PASSIVATIONS_PER_SWEEP } from "@mesh/actors";
import { FakeClock } from "@mesh/testing";

const N = 1_000_000;
const TARGET_BYTES = 500;

/** A full collection. `--expose-gc` is turned on from here, so a plain `node` run works too. */
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? exposeGc();
function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** A typical small actor: one number of state. */
class Player {
  score = 0;
  handleCall(payload: unknown): unknown {
    this.score += payload as number;
    return this.score;
  }
  handleCast(payload: unknown): void {
    this.score += payload as number;
  }
}

function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * N fresh id strings in a preallocated array (8 bytes a slot). Decoded from a
 * buffer, as a request's id would be: flat strings, not the cons strings that
 * a template literal makes.
 */
function ids(prefix: string): string[] {
  const out: string[] = new Array(N).fill("");
  for (let i = 0; i < N; i++) out[i] = Buffer.from(`${prefix}-${i}`, "latin1").toString("latin1");
  return out;
}

// 1. The actors' own state: N instances in a preallocated array (8 bytes a slot, subtracted).
let ownStatePerActor: number;
{
  const slots: unknown[] = new Array(N).fill(null);
  const before = heapUsed();
  for (let i = 0; i < N; i++) slots[i] = new Player();
  const after = heapUsed();
  ownStatePerActor = (after - before) / N;
  slots.length = 0;
}

// 2. The same N actors activated in a runtime (ids made before the baseline and kept, so
//    the id strings count as the caller's, as they would arrive in a request).
const clock = new FakeClock();
const runtime = new ActorRuntime({ idleTimeoutMs: 60_000 }, { clock });
runtime.register("Player", Player);
const actorIds = ids("player");
const before = heapUsed();
for (let i = 0; i < N; i++) runtime.cast("Player", actorIds[i] as string, 1);
const after = heapUsed();
if (runtime.activeCount !== N) throw new Error(`expected ${N} active actors, got ${runtime.activeCount}`);
const perActor = (after - before) / N;
const beyondState = perActor - ownStatePerActor;

// 3. Passivate them all (idle timeout on the fake clock) and check the heap returns.
// The timeout, then one sweep tick at a time: a tick passivates at most PASSIVATIONS_PER_SWEEP.
clock.advance(60_000);
for (let tick = 0; tick < 2 * Math.ceil(N / PASSIVATIONS_PER_SWEEP) + 20 && runtime.stats().active > 0; tick++) {
  clock.advance(1000);
}
const afterPassivation = heapUsed();
const left = runtime.stats().active;
if (left !== 0) throw new Error(`expected all actors passivated, ${left} left`);
const retainedPerActor = (afterPassivation - before) / N;

// 4. The id strings themselves ("player-123456"), for the reader who counts them against the runtime.
const idBytes = (() => {
  const base = heapUsed();
  const extra = ids("player");
  const used = heapUsed() - base;
  return (used - extra.length * 8) / N;
})();
// Keep the ids alive to here: V8 frees a top-level const after its last use.
if (actorIds.length !== N) throw new Error("unreachable");

const fmt = (n: number): string => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
console.log(`@mesh/actors memory — node ${process.version}, ${fmt(N)} actors of class Player { score = 0 }`);
console.table([
  { measure: "heap per active actor (record + map entry + instance)", bytes: fmt(perActor), target: "", met: "" },
  { measure: "  of which the actor's own state (the instance)", bytes: fmt(ownStatePerActor), target: "", met: "" },
  {
    measure: "per idle actor beyond its own state",
    bytes: fmt(beyondState),
    target: `<= ${TARGET_BYTES}`,
    met: beyondState <= TARGET_BYTES ? "yes" : "NO",
  },
  {
    measure: '  same, also counting its id string ("player-123456")',
    bytes: fmt(beyondState + idBytes),
    target: `<= ${TARGET_BYTES}`,
    met: beyondState + idBytes <= TARGET_BYTES ? "yes" : "NO",
  },
  { measure: "retained per actor after idle passivation", bytes: fmt(retainedPerActor), target: "~0", met: "" },
]);
await runtime.stop();
