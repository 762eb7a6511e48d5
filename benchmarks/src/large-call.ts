/**
 * Head-of-line blocking on one peer connection: how long a large call (its
 * payload and its echoed reply) holds small calls to the same owner behind it.
 * A caller node that hosts nothing, an owner node in another process; small
 * calls one at a time, alone and then while one large call is in flight.
 *
 * Run: pnpm build && node benchmarks/dist/large-call.js
 */
import { createNode } from "@mesh/node";
import { waitFor } from "@mesh/testing";
import { fmt, quantile } from "./load.js";
import { spawnServer } from "./tcp-baseline.js";

const SIZES_MB = [1, 4, 15];
const owner = await spawnServer("./mesh-node-child.js", ["owner", "game", "-"]);
const caller = await createNode({
  name: "caller",
  host: "127.0.0.1",
  multicast: false,
  seeds: [`127.0.0.1:${owner.port}`],
  gossip: { preset: "local" },
  callTimeoutMs: 30_000,
});
try {
  await waitFor("the caller to see the owner", () => caller.nodesFor("game").length === 1, { timeoutMs: 10_000 });
  const small = (i: number) =>
    caller.call({ module: "GameActor", id: `s${i % 100}`, capability: "game", payload: { n: i } });
  for (let i = 0; i < 100; i++) await small(i);
  /** Small calls one after another while `busy()` holds; their latencies in µs. */
  const smallWhile = async (busy: () => boolean, max: number): Promise<Float64Array> => {
    const out: number[] = [];
    for (let i = 0; busy() && out.length < max; i++) {
      const t0 = performance.now();
      await small(i);
      out.push((performance.now() - t0) * 1000);
    }
    return Float64Array.from(out);
  };
  const t0 = performance.now();
  const alone = await smallWhile(() => performance.now() - t0 < 500, 100_000);
  console.log(`small calls alone: p50 ${fmt(quantile(alone, 0.5), 0)} µs, max ${fmt(quantile(alone, 1), 0)} µs`);
  console.log("large payload | large call ms | small calls during | small p50 µs | small max µs");
  for (const mb of SIZES_MB) {
    const payload = Buffer.alloc(mb * 1024 * 1024 - 256, 7);
    let done = false;
    const start = performance.now();
    const large = caller.call({ module: "GameActor", id: "large", capability: "game", payload }).finally(() => {
      done = true;
    });
    const during = await smallWhile(() => !done, 100_000);
    await large;
    const ms = performance.now() - start;
    console.log(
      [
        `${mb} MiB`,
        fmt(ms, 1),
        during.length,
        during.length === 0 ? "-" : fmt(quantile(during, 0.5), 0),
        during.length === 0 ? "-" : fmt(quantile(during, 1), 0),
      ].join(" | "),
    );
  }
} finally {
  await caller.stop();
  await owner.stop();
}
