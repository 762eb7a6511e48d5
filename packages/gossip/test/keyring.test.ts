import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isMeshError } from "@mesh/interface";
import { HEADER_BYTES, NonceSource, open, SEAL_OVERHEAD, SealKind, seal } from "../src/security/envelope.js";
import { deriveKey, keyId } from "../src/security/key-derivation.js";
import { Keyring } from "../src/security/keyring.js";
import { ReplayGuard } from "../src/security/replay-guard.js";
import { ReplayWindow } from "../src/security/replay-window.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("deriveKey (HKDF-SHA256)", () => {
  test("matches a fixed vector, so every implementation derives the same key", () => {
    // Computed independently (Python hmac): HKDF-SHA256(ikm "secret", salt "mesh/gossip/kdf/v1", info, 32).
    const transport = "b35e2a0314b233224f497339367df5095ac601bae761060d52f5cdd9cfba18f3";
    const discovery = "5f01de15e4637d1e24ca36d3c1a3c16ebce02b512817a8ebe26456af8b89c49f";
    assert.equal(hex(deriveKey("secret")), transport);
    assert.equal(hex(deriveKey(new TextEncoder().encode("secret"), "transport")), transport);
    assert.equal(hex(deriveKey("secret", "discovery")), discovery);
    // keyId = first 4 bytes of SHA-256("mesh key id" || key).
    assert.equal(keyId(deriveKey("secret")), 0x7593285e);
  });

  test("differs by secret and by purpose", () => {
    const keys = [deriveKey("a"), deriveKey("b"), deriveKey("a", "discovery"), deriveKey("b", "discovery")].map(hex);
    assert.equal(new Set(keys).size, 4);
  });

  test("rejects an empty or mistyped secret", () => {
    for (const bad of ["", new Uint8Array(0), 42, null]) {
      assert.throws(
        () => deriveKey(bad as never),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
      );
    }
  });
});

describe("Keyring", () => {
  const k1 = deriveKey("one");
  const k2 = deriveKey("two");
  const k3 = deriveKey("three");

  test("seals with the primary key and opens with any installed key", () => {
    const ring = new Keyring(k1, [k2]);
    assert.equal(ring.primary.id, keyId(k1));
    assert.ok(ring.find(keyId(k2)) !== undefined);
    assert.equal(ring.find(keyId(k3)), undefined);
    assert.deepEqual(ring.keys().map(hex), [hex(k1), hex(k2)]);
  });

  test("rotates: add, use, remove; the primary cannot be removed", () => {
    const ring = Keyring.fromSecret("one");
    ring.addKey(k2);
    ring.addKey(k2); // idempotent
    assert.equal(ring.size, 2);
    assert.throws(
      () => ring.removeKey(k1),
      (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
    ring.useKey(k2);
    assert.equal(ring.primary.id, keyId(k2));
    ring.removeKey(k1);
    assert.deepEqual(ring.keys().map(hex), [hex(k2)]);
    ring.removeKey(k1); // removing an absent key does nothing
    assert.throws(
      () => ring.useKey(k3),
      (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
  });

  test("rejects keys that are not 32 bytes", () => {
    for (const bad of [new Uint8Array(16), new Uint8Array(33), "x".repeat(32)]) {
      assert.throws(
        () => new Keyring(bad as never),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
      );
    }
  });

  test("keeps its own copy of a key", () => {
    const key = deriveKey("copied");
    const ring = new Keyring(key);
    key.fill(0);
    assert.equal(hex(ring.keys()[0] as Uint8Array), hex(deriveKey("copied")));
  });
});

describe("ReplayWindow", () => {
  // [sequence of counters offered, expected accept/reject for each], window 32.
  const cases: [string, number[], boolean[]][] = [
    ["in order", [0, 1, 2, 3], [true, true, true, true]],
    ["exact duplicate", [5, 5], [true, false]],
    ["reordered within the window", [10, 8, 9, 8, 10], [true, true, true, false, false]],
    ["just inside the window", [40, 9], [true, true]],
    ["just outside the window", [40, 8], [true, false]],
    ["a jump clears stale bits", [0, 1, 100, 1, 99, 99], [true, true, true, false, true, false]],
    ["slot reuse after sliding", [3, 35, 3, 67, 35], [true, true, false, true, false]],
    ["counter 2^32-1", [0xffff_fffe, 0xffff_ffff, 0xffff_ffff], [true, true, false]],
  ];
  for (const [name, counters, expected] of cases) {
    test(name, () => {
      const window = new ReplayWindow(32);
      const got = counters.map((c) => {
        const ok = window.check(c);
        if (ok) window.commit(c);
        return ok;
      });
      assert.deepEqual(got, expected);
    });
  }

  test("rounds its size up to a multiple of 32", () => {
    assert.equal(new ReplayWindow(1).size, 32);
    assert.equal(new ReplayWindow(1000).size, 1024);
  });

  test("the guard keeps at most maxSenders windows, forgetting the least recently heard", () => {
    const guard = new ReplayGuard(64, 2);
    assert.equal(guard.accept("a", 1), true);
    assert.equal(guard.accept("b", 1), true);
    assert.equal(guard.accept("a", 2), true); // a is now the most recent
    assert.equal(guard.accept("c", 1), true); // evicts b
    assert.equal(guard.senders, 2);
    assert.equal(guard.accept("a", 2), false); // a remembered
    assert.equal(guard.accept("b", 1), true); // b forgotten: accepted again (the skew window bounds this)
  });
});

describe("sealed envelope", () => {
  const ring = Keyring.fromSecret("envelope");
  const plaintext = new TextEncoder().encode("membership update");

  test("round-trips, with 37 bytes of overhead and the plaintext not visible", () => {
    const sealed = seal(ring.primary, SealKind.Packet, new NonceSource(), 1_700_000_000, plaintext);
    assert.equal(sealed.length, plaintext.length + SEAL_OVERHEAD);
    assert.equal(Buffer.from(sealed).includes(Buffer.from(plaintext)), false);
    const opened = open(ring, sealed, SealKind.Packet);
    assert.ok(typeof opened !== "string");
    assert.deepEqual(new Uint8Array(opened.plaintext), plaintext);
    assert.equal(opened.timeSec, 1_700_000_000);
    assert.equal(opened.counter, 0);
  });

  test("counters increase and nonces never repeat within an instance", () => {
    const nonces = new NonceSource();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const sealed = seal(ring.primary, SealKind.Packet, nonces, 0, plaintext);
      seen.add(hex(sealed.subarray(5, 17)));
      const opened = open(ring, sealed, SealKind.Packet);
      assert.ok(typeof opened !== "string" && opened.counter === i);
    }
    assert.equal(seen.size, 1000);
  });

  test("every single-bit flip anywhere fails to open", () => {
    const sealed = seal(ring.primary, SealKind.Packet, new NonceSource(), 12345, plaintext);
    for (let byte = 0; byte < sealed.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = new Uint8Array(sealed);
        copy[byte] = (copy[byte] as number) ^ (1 << bit);
        const result = open(ring, copy, SealKind.Packet);
        assert.ok(result === "malformed" || result === "decrypt", `byte ${byte} bit ${bit}: ${String(result)}`);
      }
    }
  });

  test("every truncation fails to open", () => {
    const sealed = seal(ring.primary, SealKind.Packet, new NonceSource(), 0, plaintext);
    for (let length = 0; length < sealed.length; length++) {
      const result = open(ring, sealed.subarray(0, length), SealKind.Packet);
      assert.ok(result === "malformed" || result === "decrypt", `length ${length}`);
    }
  });

  test("a message of one kind does not open as another", () => {
    const sealed = seal(ring.primary, SealKind.Request, new NonceSource(), 0, plaintext);
    assert.equal(open(ring, sealed, SealKind.Packet), "malformed");
    assert.equal(open(ring, sealed, SealKind.Response, sealed.subarray(0, HEADER_BYTES)), "malformed");
  });

  test("a response opens only with the header of the request it answers", () => {
    const nonces = new NonceSource();
    const request1 = seal(ring.primary, SealKind.Request, nonces, 0, plaintext);
    const request2 = seal(ring.primary, SealKind.Request, nonces, 0, plaintext);
    const response = seal(ring.primary, SealKind.Response, nonces, 0, plaintext, request1.subarray(0, HEADER_BYTES));
    assert.ok(typeof open(ring, response, SealKind.Response, request1.subarray(0, HEADER_BYTES)) !== "string");
    assert.equal(open(ring, response, SealKind.Response, request2.subarray(0, HEADER_BYTES)), "decrypt");
  });

  test("a key not in the keyring fails as decrypt", () => {
    const other = Keyring.fromSecret("another cluster");
    const sealed = seal(other.primary, SealKind.Packet, new NonceSource(), 0, plaintext);
    assert.equal(open(ring, sealed, SealKind.Packet), "decrypt");
  });
});
