import assert from "node:assert/strict";
import { test } from "node:test";
import { isMeshError } from "@mesh/interface";
import { SeededRandom } from "@mesh/testing";
import { type GossipInit, LAN_PRESET, LOCAL_PRESET, resolveGossipConfig, WAN_PRESET } from "../src/index.js";

test("presets follow memberlist's LAN, WAN and Local defaults", () => {
  const table: [
    name: string,
    preset: typeof LAN_PRESET,
    interval: number,
    timeout: number,
    mult: number,
    nodes: number,
  ][] = [
    ["lan", LAN_PRESET, 1000, 500, 4, 3],
    ["wan", WAN_PRESET, 5000, 3000, 6, 4],
    ["local", LOCAL_PRESET, 1000, 200, 3, 3],
  ];
  for (const [name, p, interval, timeout, mult, nodes] of table) {
    assert.equal(p.probeIntervalMs, interval, name);
    assert.equal(p.probeTimeoutMs, timeout, name);
    assert.equal(p.suspicionMult, mult, name);
    assert.equal(p.gossipNodes, nodes, name);
    assert.ok(Object.isFrozen(p));
  }
});

test("a shorter probe interval alone scales the preset's probe timeout down with it, never up", () => {
  const cases: [init: GossipInit, timeout: number][] = [
    [{ preset: "local", probeIntervalMs: 200 }, 40], // 200 * 200 / 1000: room for indirect probes and nacks
    [{ preset: "local", probeIntervalMs: 500 }, 100],
    [{ preset: "local" }, 200],
    [{ preset: "lan", probeIntervalMs: 100 }, 50],
    [{ preset: "lan", probeIntervalMs: 3000 }, 500], // a longer interval keeps the preset's timeout
    [{ preset: "local", probeIntervalMs: 200, probeTimeoutMs: 150 }, 150], // an explicit timeout wins
    [{ preset: "local", probeIntervalMs: 1 }, 1],
  ];
  for (const [init, timeout] of cases)
    assert.equal(resolveGossipConfig(init).probeTimeoutMs, timeout, JSON.stringify(init));
});

test("defaults, overrides and the Lifeguard switches resolve into a frozen config", () => {
  const c = resolveGossipConfig(
    { preset: "wan", probeIntervalMs: 6000, capabilities: ["b", "a", "b"] },
    new SeededRandom(1),
  );
  assert.equal(c.probeIntervalMs, 6000);
  assert.equal(c.probeTimeoutMs, 3000, "the rest from the preset");
  assert.deepEqual(c.capabilities, ["a", "b"], "sorted, unique");
  assert.match(c.name, /^node-[0-9a-f]{8}$/);
  assert.ok(Object.isFrozen(c));
  assert.equal(c.lifeguardAwareness && c.lifeguardDogpile && c.lifeguardBuddy && c.lifeguardNack, true);
  const off = resolveGossipConfig({ lifeguard: false, lifeguardNack: true });
  assert.deepEqual(
    [off.lifeguardAwareness, off.lifeguardDogpile, off.lifeguardBuddy, off.lifeguardNack],
    [false, false, false, true],
  );
});

test("invalid options are rejected with MESH_ERR_INVALID_ARGUMENT naming the property", () => {
  const cases: [init: Record<string, unknown>, property: string][] = [
    [{ probeIntervalMs: 0 }, "probeIntervalMs"],
    [{ probeIntervalMs: 1.5 }, "probeIntervalMs"],
    [{ gossipNodes: "3" }, "gossipNodes"],
    [{ probeTimeoutMs: 2000 }, "probeTimeoutMs"], // longer than the interval
    [{ preset: "mars" }, "preset"],
    [{ name: "" }, "name"],
    [{ capabilities: "game" }, "capabilities"],
    [{ capabilities: [1] }, "capabilities[0]"],
    [{ tags: { a: 1 } }, "tags.a"],
    [{ lifeguard: "yes" }, "lifeguard"],
    [{ advertiseAddress: { host: "h", port: 70000 } }, "advertiseAddress.port"],
  ];
  for (const [init, property] of cases) {
    assert.throws(
      () => resolveGossipConfig(init as never),
      (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && e.details?.property === property,
      property,
    );
  }
});
