import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock, SeededRandom } from "@mesh/testing";
import { createGossip, type GossipInit } from "../src/index.js";
import { decodeStreamMessage } from "../src/wire/decode.js";
import { encodeStreamMessage } from "../src/wire/encode.js";
import { MessageType } from "../src/wire/message-type.js";
import type { MemberStateEntry } from "../src/wire/messages.js";
import { memoryPair } from "./memory-transport.js";

const metadata = { version: 1, capabilities: [], tags: {} };

/** A push-pull request of `n` alive members and, with `suspects`, a suspicion of each of them too. */
function pushPull(n: number, suspects: boolean, prefix = "m"): Uint8Array {
  const members: MemberStateEntry[] = [];
  const entry = (i: number, state: "alive" | "suspect"): MemberStateEntry => ({
    name: `${prefix}${i}`,
    address: { host: "127.0.0.2", port: 1024 + (i % 60_000) },
    incarnation: 1,
    state,
    metadata,
  });
  for (let i = 0; i < n; i++) members.push(entry(i, "alive"));
  if (suspects) for (let i = 0; i < n; i++) members.push(entry(i, "suspect"));
  return encodeStreamMessage({ type: MessageType.pushPull, join: false, from: "peer", members });
}

/** A member on a fake clock and an in-memory transport (nothing to release: not stopped). */
async function victim(init: GossipInit = {}) {
  const [a, b] = memoryPair();
  const gossip = createGossip(
    { name: "victim", ...init },
    { transport: a, clock: new FakeClock(), random: new SeededRandom(7) },
  );
  await gossip.start();
  return { gossip, send: (payload: Uint8Array) => b.request(a.localAddress, payload) };
}

test("a push-pull of n alive + n suspect entries merges in near-linear time (a ratio to decoding it, same run)", async () => {
  // Decoding the same bytes is linear in n: the baseline. A merge that scans, splices or
  // re-sorts per entry was ~100x it at this size; near-linear work stays within a few x.
  const n = 20_000;
  const payload = pushPull(n, true);
  let merge = Number.POSITIVE_INFINITY;
  let decode = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    assert.ok(decodeStreamMessage(payload).ok);
    decode = Math.min(decode, performance.now() - t0);
    const { gossip, send } = await victim({ maxMembers: 2 * n });
    const t1 = performance.now();
    await send(payload);
    merge = Math.min(merge, performance.now() - t1);
    const stats = gossip.stats();
    assert.equal(stats.suspect, n, "every member merged, then suspected");
  }
  const ratio = merge / decode;
  console.log(
    `merge of ${2 * n} entries: ${merge.toFixed(0)} ms, decode ${decode.toFixed(0)} ms, ratio ${ratio.toFixed(1)}`,
  );
  assert.ok(ratio < 40, `merge/decode ratio ${ratio.toFixed(1)} (quadratic merging gave ~100+)`);
});

test("the member table stops at maxMembers: further names are refused and counted", async () => {
  const { gossip, send } = await victim();
  assert.equal(gossip.config.maxMembers, 10_000, "the default");
  await send(pushPull(8_000, false, "a"));
  await send(pushPull(8_000, false, "b"));
  let stats = gossip.stats();
  assert.equal(stats.alive, 10_000, "the table is full, this member included");
  assert.equal(stats.membersRefused, 16_000 - 9_999);
  await send(pushPull(8_000, false, "c"));
  stats = gossip.stats();
  assert.equal(stats.alive, 10_000, "still full: later requests add nothing");
  assert.equal(stats.membersRefused, 24_000 - 9_999);
});
