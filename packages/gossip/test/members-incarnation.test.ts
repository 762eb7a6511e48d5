import assert from "node:assert/strict";
import { test } from "node:test";
import { plausibleIncarnation, refutationIncarnation } from "../src/members/incarnation.js";
import { Membership, type MembershipEffects } from "../src/members/membership.js";
import { decodePacket } from "../src/wire/decode.js";
import { encodePacketMessage } from "../src/wire/encode.js";
import { WIRE_LIMITS } from "../src/wire/limits.js";
import { MessageType } from "../src/wire/message-type.js";
import type { AliveMessage } from "../src/wire/messages.js";

const MAX = WIRE_LIMITS.maxIncarnation;
const JUMP = WIRE_LIMITS.maxIncarnationJump;
const A1 = { host: "127.0.0.1", port: 7946 };
const A2 = { host: "127.0.0.2", port: 7946 };
const META = { version: 1, capabilities: [], tags: {} };

test("incarnation rules: which claims are plausible, and what refutes them", () => {
  const cases: [held: number | undefined, claimed: number, plausible: boolean][] = [
    [0, 0, true],
    [0, 1, true],
    [5, 3, true], // stale: plausible, handled as stale by the state rules
    [0, JUMP, true],
    [0, JUMP + 1, false],
    [10, 10 + JUMP, true],
    [10, 11 + JUMP, false],
    [0, MAX, false], // the 16-byte attack: suspect at 2^53 - 1
    [MAX - 1, MAX, false], // no room left to refute above it
    [MAX - 2, MAX - 1, true],
    [undefined, 7, true], // a member we do not know yet
    [undefined, MAX - 1, true],
    [undefined, MAX, false],
  ];
  for (const [held, claimed, expected] of cases)
    assert.equal(plausibleIncarnation(held, claimed), expected, `held ${held}, claimed ${claimed}`);
  const refutations: [own: number, accused: number, refuteAt: number][] = [
    [0, 0, 1],
    [7, 3, 8],
    [3, 7, 8],
    [0, JUMP, JUMP + 1],
    [MAX - 2, MAX - 1, MAX],
  ];
  for (const [own, accused, at] of refutations) {
    assert.equal(refutationIncarnation(own, accused), at, `own ${own}, accused ${accused}`);
    assert.ok(at <= MAX);
  }
});

function table() {
  const dropped: string[] = [];
  const broadcasts: number[] = [];
  const effects: MembershipEffects = {
    now: () => 0,
    broadcast: (_name, m) => broadcasts.push(m.incarnation),
    suspicionStarted: () => {},
    suspicionConfirmed: () => true,
    suspicionEnded: () => {},
    refuted: () => {},
    reassert: () => {},
    digestOf: (m) => `d${m.version}`,
    metadataAnnounced: () => {},
    added: () => {},
    refused: () => {},
    addressClaimed: () => {},
    selfClaimed: () => {},
    changed: () => {},
    dropped: (reason) => dropped.push(reason),
  };
  const m = new Membership({ name: "self", address: A1, metadata: META }, effects);
  return { m, dropped, broadcasts };
}

const alive = (name: string, incarnation: number, address = A2): AliveMessage => ({
  type: MessageType.alive,
  name,
  incarnation,
  address,
  metadata: META,
});

test("an accusation of us at an absurd incarnation is dropped, not refuted; a plausible one is refuted just above it", () => {
  const t = table();
  t.m.applySuspect({ type: MessageType.suspect, name: "self", incarnation: MAX, from: "x" });
  t.m.applyDead({ type: MessageType.dead, name: "self", incarnation: JUMP + 1, from: "x" });
  t.m.applyAlive(alive("self", JUMP * 4));
  assert.equal(t.m.local.incarnation, 0, "not raised by a stranger");
  assert.deepEqual(t.dropped, ["implausible-incarnation", "implausible-incarnation", "implausible-incarnation"]);
  assert.equal(t.m.local.state, "alive");
  t.m.applySuspect({ type: MessageType.suspect, name: "self", incarnation: 41, from: "x" });
  assert.equal(t.m.local.incarnation, 42, "refuted at accused + 1");
  // Whatever was accepted, our own alive still decodes.
  const d = decodePacket(encodePacketMessage(t.m.localAlive()));
  assert.ok(d.ok && d.dropped.length === 0);
});

test("third parties drop the same claims, so a hostile one cannot kill or hijack a member in their tables", () => {
  const t = table();
  t.m.applyAlive(alive("b", 3));
  t.m.applySuspect({ type: MessageType.suspect, name: "b", incarnation: MAX, from: "x" });
  t.m.applyDead({ type: MessageType.dead, name: "b", incarnation: 3 + JUMP + 1, from: "x" });
  t.m.applyAlive(alive("b", 3 + JUMP + 1, { host: "10.9.9.9", port: 1 }));
  const b = t.m.get("b");
  assert.equal(b?.state, "alive");
  assert.equal(b?.incarnation, 3);
  assert.deepEqual(b?.address, A2);
  assert.equal(t.dropped.length, 3);
  // An unknown member at the maximum is refused too: nobody could ever refute above it.
  t.m.applyAlive(alive("c", MAX));
  assert.equal(t.m.get("c"), undefined);
  // Honest steps are taken.
  t.m.applySuspect({ type: MessageType.suspect, name: "b", incarnation: 4, from: "x" });
  assert.equal(t.m.get("b")?.state, "suspect");
  assert.equal(t.m.get("b")?.incarnation, 4);
});
