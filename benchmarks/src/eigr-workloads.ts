/**
 * eigr/mesh's own single-node workloads, re-run through Mesh's public API
 * (`createNode` + `node.call`) so the figures sit beside its published ones.
 * Run: `pnpm build && node benchmarks/dist/eigr-workloads.js`
 */
import { createNode } from "@mesh/node";
import { fmt, quantile, runLoad } from "./load.js";

class GameActor {
  calls = 0;
  handleCall(payload: unknown): unknown {
    this.calls++;
    return payload;
  }
}
class ChatActor extends GameActor {}
class PaymentActor extends GameActor {}

const node = await createNode({
  name: "bench",
  capabilities: ["game", "chat", "payment"],
  actors: { GameActor, ChatActor, PaymentActor },
  callTimeoutMs: 60_000,
});
const capabilities = [
  ["GameActor", "game"],
  ["ChatActor", "chat"],
  ["PaymentActor", "payment"],
] as const;

const rows: [string, string, string][] = [];
const report = (name: string, figure: string, eigr: string): void => {
  rows.push([name, figure, eigr]);
};

// 1. 50,000 creations at concurrency 500.
{
  const r = await runLoad(50_000, 500, (i) =>
    node.call({ module: "GameActor", id: `create-${i}`, payload: i, capability: "game" }),
  );
  report(
    "50,000 creations, concurrency 500",
    `${fmt(r.opsPerSec)} activations/s`,
    "16,000/s claimed; ~40,000/s measured here",
  );
}
// 2. 10,000 calls to one hot actor at concurrency 200.
{
  const r = await runLoad(10_000, 200, (i) =>
    node.call({ module: "GameActor", id: "hot", payload: i, capability: "game" }),
  );
  report("10,000 calls to one hot actor, concurrency 200", `${fmt(r.opsPerSec)} calls/s`, "30,000/s claimed");
}
// 3. 30,000 creations across game/chat/payment at concurrency 500.
{
  const r = await runLoad(30_000, 500, (i) => {
    const [module, capability] = capabilities[i % 3] as (typeof capabilities)[number];
    return node.call({ module, id: `multi-${i}`, payload: i, capability });
  });
  report("30,000 creations over 3 capabilities, concurrency 500", `${fmt(r.opsPerSec)} activations/s`, "—");
}
// 4. 5,000 actors, then 20,000 round-robin calls at concurrency 300.
{
  await runLoad(5_000, 300, (i) => node.call({ module: "GameActor", id: `rr-${i}`, payload: i, capability: "game" }));
  const r = await runLoad(20_000, 300, (i) =>
    node.call({ module: "GameActor", id: `rr-${i % 5_000}`, payload: i, capability: "game" }),
  );
  report(
    "20,000 round-robin calls over 5,000 actors, concurrency 300",
    `${fmt(r.opsPerSec)} calls/s`,
    "118,000/s at 16 in flight here",
  );
}
// 5. 1,000 sequential calls with p50/p95/p99.
{
  const r = await runLoad(
    1_000,
    1,
    () => node.call({ module: "GameActor", id: "seq", payload: 1, capability: "game" }),
    true,
  );
  const l = r.latenciesUs as Float64Array;
  report(
    "1,000 sequential calls",
    `p50 ${fmt(quantile(l, 0.5), 1)} µs, p95 ${fmt(quantile(l, 0.95), 1)} µs, p99 ${fmt(quantile(l, 0.99), 1)} µs`,
    "p50 15.9 µs here",
  );
}
await node.stop();

console.log("\neigr/mesh single-node workloads through node.call (one process)\n");
console.table(rows.map(([workload, mesh, eigr]) => ({ workload, mesh, "eigr/mesh": eigr })));
