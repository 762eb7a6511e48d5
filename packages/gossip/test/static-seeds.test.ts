import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isMeshError } from "@mesh/interface";
import { FakeClock, waitFor } from "@mesh/testing";
import type { DiscoveryPeer } from "../src/discovery/discovery.js";
import { parseHostPort, staticSeeds } from "../src/discovery/static-seeds.js";
import { addressKey, type Transport } from "../src/transport/transport.js";
import { LOOPBACK, loopbackTransport } from "./net-helpers.js";

describe("parseHostPort", () => {
  const good: [string, string, number][] = [
    ["127.0.0.1:7946", "127.0.0.1", 7946],
    ["node-a.example:1", "node-a.example", 1],
    ["[::1]:65535", "::1", 65535],
    ["[fe80::1]:7946", "fe80::1", 7946],
  ];
  for (const [input, host, port] of good) {
    test(`parses ${input}`, () => assert.deepEqual(parseHostPort(input), { host, port }));
  }
  for (const bad of [
    "127.0.0.1",
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "::1:7946",
    "[nothost]:1",
    ":7946",
    "a:b",
    "a b:1",
    "",
  ]) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseHostPort(bad),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
      );
    });
  }
});

describe("static seeds (libcluster Epmd)", () => {
  test("reports every seed but our own at start, resolving names to all their addresses", async () => {
    const peers: DiscoveryPeer[] = [];
    const seeds = staticSeeds(
      ["127.0.0.1:7001", "127.0.0.1:7000", "db.internal:7002", "127.0.0.1:7001"],
      {
        retryIntervalMs: 0,
      },
      { lookup: async (host) => (host === "db.internal" ? ["127.0.0.5", "127.0.0.6"] : []) },
    );
    await seeds.start({ name: "me", address: { host: "127.0.0.1", port: 7000 }, onPeer: (p) => peers.push(p) });
    assert.deepEqual(
      peers.map((p) => addressKey(p.address)),
      ["127.0.0.1:7001", "127.0.0.5:7002", "127.0.0.6:7002"],
    );
    await seeds.stop();
  });

  test("retries every retryIntervalMs, so seeds that come up later are found; a failed lookup is retried", async () => {
    const clock = new FakeClock();
    let dnsUp = false;
    const peers: string[] = [];
    const seeds = staticSeeds(
      ["later.internal:7100"],
      { retryIntervalMs: 5_000 },
      {
        clock,
        lookup: async () => {
          if (!dnsUp) throw new Error("ENOTFOUND");
          return ["127.0.0.9"];
        },
      },
    );
    await seeds.start({
      name: "me",
      address: { host: LOOPBACK, port: 1 },
      onPeer: (p) => peers.push(addressKey(p.address)),
    });
    assert.deepEqual(peers, []);
    assert.equal(seeds.stats().resolveFailures, 1);
    dnsUp = true;
    clock.advance(4_999);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(peers, []);
    clock.advance(1);
    await waitFor("the second round", () => peers.length === 1);
    assert.deepEqual(peers, ["127.0.0.9:7100"]);
    await waitFor("the next round to be scheduled", () => clock.pending === 1);
    await seeds.stop();
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(peers.length, 1, "no rounds after stop()");
  });

  test("a node joins a seed over real UDP/TCP once the seed starts later", async () => {
    // The membership layer is not this helper's: here onPeer does what it will do, a stream request.
    const clock = new FakeClock();
    const seed: Transport = loopbackTransport();
    seed.setHandlers({ packet: () => {}, stream: () => new TextEncoder().encode("welcome") });
    const joiner = loopbackTransport();
    joiner.setHandlers({ packet: () => {}, stream: (r) => r });
    await joiner.start();
    // Reserve the seed's port by starting and stopping it, so the seed list can name it.
    await seed.start();
    const seedAddress = seed.localAddress;
    await seed.stop();
    const replies: string[] = [];
    const failures: string[] = [];
    const seeds = staticSeeds([addressKey(seedAddress)], { retryIntervalMs: 1_000 }, { clock });
    await seeds.start({
      name: "joiner",
      address: joiner.localAddress,
      onPeer: (peer) => {
        joiner
          .request(peer.address, new Uint8Array(0), { timeoutMs: 2_000 })
          .then((r) => replies.push(new TextDecoder().decode(r)))
          .catch((e: unknown) => failures.push(String((e as { code?: string }).code)));
      },
    });
    try {
      await waitFor("the first attempt to fail", () => failures.length === 1);
      assert.deepEqual(failures, ["MESH_ERR_NODE_UNREACHABLE"]);
      const restarted = loopbackTransport({ port: seedAddress.port });
      restarted.setHandlers({ packet: () => {}, stream: () => new TextEncoder().encode("welcome") });
      await restarted.start();
      try {
        clock.advance(1_000);
        await waitFor("the retry to reach the seed", () => replies.length === 1);
        assert.deepEqual(replies, ["welcome"]);
      } finally {
        await restarted.stop();
      }
    } finally {
      await seeds.stop();
      await joiner.stop();
    }
  });

  test("rejects invalid input", () => {
    assert.throws(
      () => staticSeeds("127.0.0.1:1" as never),
      (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
    assert.throws(
      () => staticSeeds(["nope"]),
      (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
    assert.throws(
      () => staticSeeds([], { retryIntervalMs: -1 }),
      (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && e.details?.property === "retryIntervalMs",
    );
  });
});
