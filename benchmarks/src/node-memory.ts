/**
 * Memory per idle actor through the node (`createNode` + `node.call`): the heap
 * delta over N activated actors, minus the actors' own state (the same N
 * instances alone), ids allocated before the first measurement. The runtime's
 * own figure is actor-memory.js; the node adds its placement record per actor.
 * Run: `node benchmarks/dist/node-memory.js`   (NODE_MEMORY_ACTORS, default 200000)
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createNode } from "@mesh/node";

const N = Number(process.env.NODE_MEMORY_ACTORS ?? 200_000);
const TARGET_BYTES = 200;
const gc: () => void = (globalThis as { gc?: () => void }).gc ?? exposeGc();
function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

class Player {
  score = 0;
  handleCall(payload: unknown): unknown {
    this.score += payload as number;
    return this.score;
  }
}

const ids = Array.from({ length: N }, (_, i) => `player_${i}`);
const bareBefore = heap();
const bare: Player[] = ids.map(() => new Player());
const perInstance = (heap() - bareBefore) / N;
bare.length = 0;

for (const localCalls of ["copy", "reference"] as const) {
  const node = await createNode({ capabilities: ["game"], actors: { Player }, localCalls, idleTimeoutMs: 0 });
  const before = heap();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < N; i = next++)
      await node.call({ module: "Player", id: ids[i] as string, capability: "game", payload: 1 });
  };
  await Promise.all(Array.from({ length: 256 }, worker));
  const perActor = (heap() - before) / N - perInstance;
  console.log(
    `${localCalls}: ${N.toLocaleString("en-US")} idle actors, ${perActor.toFixed(0)} B per actor beyond its state ` +
      `(state ${perInstance.toFixed(0)} B; goal <= ${TARGET_BYTES} B: ${perActor <= TARGET_BYTES ? "met" : "NOT met"})`,
  );
  await node.stop();
}
