import assert from "node:assert/strict";
import { test } from "node:test";
import { MeshError } from "@mesh/interface";
import { FakeClock, SeededRandom } from "@mesh/testing";
import { createGossip, type Discovery, type DiscoveryContext } from "../src/index.js";
import { MemoryTransport } from "./memory-transport.js";

/** A transport whose requests hang until released, counting how many are in flight. */
class HangingTransport extends MemoryTransport {
  inFlight = 0;
  maxInFlight = 0;
  readonly #waiting: (() => void)[] = [];

  override request(): Promise<Uint8Array> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((_resolve, reject) => {
      this.#waiting.push(() => {
        this.inFlight--;
        reject(new MeshError("MESH_ERR_NODE_UNREACHABLE", "released"));
      });
    });
  }

  releaseAll(): void {
    for (const release of this.#waiting.splice(0)) release();
  }
}

test("joins started by discovery are capped: 100 reported peers never mean 100 connections at once", async () => {
  const transport = new HangingTransport(7000);
  let context: DiscoveryContext | undefined;
  const flood: Discovery = {
    name: "flood",
    async start(ctx) {
      context = ctx;
    },
    async stop() {},
  };
  const clock = new FakeClock();
  const g = createGossip(
    { name: "x", pushPullIntervalMs: 0 },
    { transport, clock, random: new SeededRandom(1), discovery: [flood] },
  );
  await g.start();
  const report = () => {
    for (let i = 1; i <= 100; i++) context?.onPeer({ address: { host: "127.0.0.2", port: 10_000 + i } });
  };
  report();
  assert.equal(transport.inFlight, 8);
  report(); // the same peers again, while the first joins hang: nothing more starts
  assert.equal(transport.maxInFlight, 8);
  transport.releaseAll();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(transport.inFlight, 0);
  report(); // the strategy's next round: the next batch starts
  assert.equal(transport.inFlight, 8);
  transport.releaseAll();
  await new Promise((resolve) => setImmediate(resolve));
  await g.stop();
});
