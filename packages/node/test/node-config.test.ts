import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { type KnownKeys, levenshtein, nearestName } from "../src/config-keys.js";
import { createNode, isMeshError, MeshError } from "../src/index.js";
import { resolveNodeConfig } from "../src/node-init.js";

/** The MeshError `resolveNodeConfig` throws for `init`; fails the test when it does not throw. */
function configError(init: object): MeshError {
  try {
    resolveNodeConfig(init as never);
  } catch (error) {
    assert.ok(error instanceof MeshError, String(error));
    return error;
  }
  assert.fail(`${JSON.stringify(init)} was accepted`);
}

describe("node configuration: unknown options", () => {
  const cases: [init: object, property: string, suggestion: string | undefined][] = [
    [{ multicastIf: "127.0.0.1" }, "multicastIf", "multicastInterface"],
    [{ multicast_if: "127.0.0.1" }, "multicast_if", "multicastInterface"],
    [{ if_addr: "127.0.0.1" }, "if_addr", "ifAddr"],
    [{ capabilites: ["game"] }, "capabilites", "capabilities"],
    [{ callTimeoutMS: 100 }, "callTimeoutMS", "callTimeoutMs"],
    [{ seed: ["127.0.0.1:1"] }, "seed", "seeds"],
    [{ secrett: "x".repeat(32) }, "secrett", "secret"],
    [{ shards: 16 }, "shards", undefined],
    [{ zzzzzzzz: 1 }, "zzzzzzzz", undefined],
    // An explicit undefined is a typo all the same.
    [{ capabilites: undefined }, "capabilites", "capabilities"],
    // Nested: the gossip settings.
    [{ seeds: [], gossip: { probeIntervalMS: 100 } }, "gossip.probeIntervalMS", "gossip.probeIntervalMs"],
    [{ seeds: [], gossip: { lifegaurd: false } }, "gossip.lifegaurd", "gossip.lifeguard"],
    [{ seeds: [], gossip: { presett: "local" } }, "gossip.presett", "gossip.preset"],
  ];
  for (const [init, property, suggestion] of cases) {
    it(`refuses ${JSON.stringify(init)}${suggestion === undefined ? "" : `, suggesting ${suggestion}`}`, () => {
      const error = configError(init);
      assert.equal(error.code, "MESH_ERR_INVALID_CONFIG");
      assert.equal(error.retryable, false);
      assert.equal(error.details?.property, property);
      assert.equal(error.details?.suggestion, suggestion);
      assert.match(error.message, new RegExp(`unknown option "${property.replace(".", "\\.")}"`));
      if (suggestion !== undefined) assert.ok(error.message.includes(`did you mean "${suggestion}"`), error.message);
      else assert.ok(!error.message.includes("did you mean"), error.message);
    });
  }

  it("rejects createNode itself before any socket is bound", async () => {
    await assert.rejects(createNode({ multicastIf: "127.0.0.1" } as never), (e) =>
      isMeshError(e, "MESH_ERR_INVALID_CONFIG"),
    );
  });

  it("accepts every documented option, and every gossip protocol setting", () => {
    const config = resolveNodeConfig({
      name: "n",
      capabilities: ["a"],
      seeds: ["127.0.0.1:1"],
      host: "127.0.0.1",
      secret: randomBytes(16),
      gossip: { preset: "local", probeIntervalMs: 100, streamFallbackPing: false, lifeguard: true },
    });
    assert.equal(config.network?.gossip.probeIntervalMs, 100);
  });
});

describe("node configuration: secrets", () => {
  const refused: [name: string, secret: string | Uint8Array, bytes: number][] = [
    ["an empty string", "", 0],
    ["3 characters", "abc", 3],
    ["15 ASCII characters", "a".repeat(15), 15],
    ["15 raw bytes", new Uint8Array(15), 15],
    ["no bytes", new Uint8Array(0), 0],
  ];
  for (const [name, secret, bytes] of refused) {
    it(`refuses ${name} with MESH_ERR_INVALID_CONFIG, never echoing it`, () => {
      const error = configError({ seeds: [], secret });
      assert.equal(error.code, "MESH_ERR_INVALID_CONFIG");
      assert.equal(error.details?.property, "secret");
      assert.equal(error.details?.bytes, bytes);
      assert.equal(error.details?.minBytes, 16);
      if (typeof secret === "string" && secret !== "") assert.ok(!error.message.includes(secret), error.message);
    });
  }

  const accepted: [name: string, secret: string | Uint8Array][] = [
    ["16 ASCII characters", "a".repeat(16)],
    ["16 raw bytes", randomBytes(16)],
    // Measured in UTF-8 bytes: 6 three-byte characters are 18 bytes.
    ["6 CJK characters (18 UTF-8 bytes)", "秘密秘密秘密"],
    ["a base64 string of 24 random bytes", randomBytes(24).toString("base64")],
  ];
  for (const [name, secret] of accepted) {
    it(`accepts ${name}`, () => {
      assert.equal(resolveNodeConfig({ seeds: [], secret }).network?.secret, secret);
    });
  }

  it("still refuses a secret of the wrong type as an invalid argument", () => {
    assert.equal(configError({ seeds: [], secret: 42 }).code, "MESH_ERR_INVALID_ARGUMENT");
  });
});

describe("nearest option name", () => {
  const cases: [a: string, b: string, distance: number][] = [
    ["", "", 0],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["seeds", "seed", 1],
  ];
  for (const [a, b, distance] of cases) {
    it(`levenshtein(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${distance}`, () => {
      assert.equal(levenshtein(a, b), distance);
      assert.equal(levenshtein(b, a), distance);
    });
  }

  it("takes the abbreviation over a shorter edit", () => {
    assert.equal(nearestName("multicastInt", ["multicastAddr", "multicastInterface"]), "multicastInterface");
  });
});

describe("option lists", () => {
  it("do not compile when they miss an option of their interface or name one it lacks", () => {
    interface Init {
      readonly a?: number;
      readonly b?: string;
    }
    const complete: KnownKeys<Init> = { a: true, b: true };
    // @ts-expect-error `b` is missing: adding an option to an interface forces its line in the list
    const missing: KnownKeys<Init> = { a: true };
    // @ts-expect-error `c` is no option of Init
    const extra: KnownKeys<Init> = { a: true, b: true, c: true };
    assert.deepEqual([complete, missing, extra].map(Object.keys), [["a", "b"], ["a"], ["a", "b", "c"]]);
  });
});
