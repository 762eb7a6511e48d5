import assert from "node:assert/strict";
import { test } from "node:test";
import type { MemberRecord } from "../src/members/member.js";
import { type MemberEventKind, Membership, type MembershipEffects } from "../src/members/membership.js";
import { MessageType } from "../src/wire/message-type.js";
import type { AliveMessage, Metadata } from "../src/wire/messages.js";

const A1 = { host: "127.0.0.1", port: 7946 };
const A2 = { host: "127.0.0.2", port: 7946 };
const meta = (version: number, capabilities: string[] = []): Metadata => ({ version, capabilities, tags: {} });

/** A member table whose effects are recorded instead of performed. */
function table(maxMembers?: number) {
  let now = 0;
  const log: string[] = [];
  const broadcasts: { name: string; type: number; incarnation: number }[] = [];
  const events: { kind: MemberEventKind; name: string }[] = [];
  const confirmed = new Set<string>();
  const effects: MembershipEffects = {
    now: () => now,
    broadcast: (name, m) => broadcasts.push({ name, type: m.type, incarnation: m.incarnation }),
    suspicionStarted: (r, from) => log.push(`suspicion ${r.name} from ${from}`),
    suspicionConfirmed: (name, from) => {
      const key = `${name}/${from}`;
      if (confirmed.has(key)) return false;
      confirmed.add(key);
      return true;
    },
    suspicionEnded: (name) => log.push(`ended ${name}`),
    refuted: () => log.push("refuted"),
    reassert: () => log.push("reassert"),
    digestOf: (m) => `digest-${m.version}`,
    metadataAnnounced: (r) => log.push(`fetch ${r.name}`),
    added: (r) => log.push(`added ${r.name}`),
    refused: (a) => log.push(`refused ${a.name}`),
    addressClaimed: (r, a) => log.push(`claim ${r.name} ${a.address.host}`),
    selfClaimed: (a) => log.push(`self claim ${a.address.host}`),
    changed: (kind, r) => events.push({ kind, name: r.name }),
  };
  const m = new Membership({ name: "self", address: A1, metadata: meta(1, ["x"]) }, effects, maxMembers);
  return {
    m,
    log,
    broadcasts,
    events,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const alive = (
  name: string,
  incarnation: number,
  address = A2,
  metadata: AliveMessage["metadata"] = meta(1),
): AliveMessage => ({
  type: MessageType.alive,
  name,
  incarnation,
  address,
  metadata,
});
const suspect = (name: string, incarnation: number, from = "c") =>
  ({ type: MessageType.suspect, name, incarnation, from }) as const;
const dead = (name: string, incarnation: number, from = "c") =>
  ({ type: MessageType.dead, name, incarnation, from }) as const;

test("an alive message about an unknown member adds it, re-gossips it and reports joined", () => {
  const t = table();
  t.m.applyAlive(alive("b", 3, A2, meta(2, ["game"])));
  const b = t.m.get("b") as MemberRecord;
  assert.equal(b.state, "alive");
  assert.equal(b.incarnation, 3);
  assert.deepEqual(b.metadata.capabilities, ["game"]);
  assert.deepEqual(t.log, ["added b"]);
  assert.deepEqual(t.broadcasts, [{ name: "b", type: MessageType.alive, incarnation: 3 }]);
  assert.deepEqual(t.events, [{ kind: "joined", name: "b" }]);
});

test("stale or repeated alive messages change nothing", () => {
  const t = table();
  t.m.applyAlive(alive("b", 3));
  t.broadcasts.length = 0;
  t.events.length = 0;
  t.m.applyAlive(alive("b", 3));
  t.m.applyAlive(alive("b", 2, A1));
  assert.equal(t.m.get("b")?.address, A2);
  assert.deepEqual(t.broadcasts, []);
  assert.deepEqual(t.events, []);
});

test("suspect: alive -> suspect at >= incarnation, then confirmations; stale ones ignored", () => {
  const t = table();
  t.m.applyAlive(alive("b", 3));
  t.m.applySuspect(suspect("b", 2));
  assert.equal(t.m.get("b")?.state, "alive", "older incarnation ignored");
  t.m.applySuspect(suspect("b", 3, "c"));
  assert.equal(t.m.get("b")?.state, "suspect");
  assert.ok(t.log.includes("suspicion b from c"));
  t.broadcasts.length = 0;
  t.m.applySuspect(suspect("b", 3, "d"));
  assert.equal(t.broadcasts.length, 1, "a new confirmation is re-gossiped");
  t.m.applySuspect(suspect("b", 3, "d"));
  assert.equal(t.broadcasts.length, 1, "a repeated one is not");
  // A newer alive refutes.
  t.m.applyAlive(alive("b", 4));
  assert.equal(t.m.get("b")?.state, "alive");
  assert.ok(t.log.includes("ended b"));
  assert.deepEqual(
    t.events.map((e) => e.kind),
    ["joined", "suspect", "alive"],
  );
});

test("a member that hears itself suspected or declared dead refutes with a higher incarnation", () => {
  const t = table();
  t.m.applySuspect(suspect("self", 0));
  assert.equal(t.m.local.incarnation, 1);
  assert.equal(t.m.local.state, "alive");
  t.m.applyDead(dead("self", 7));
  assert.equal(t.m.local.incarnation, 8, "above the accused incarnation");
  assert.deepEqual(
    t.broadcasts.map((b) => [b.type, b.incarnation]),
    [
      [MessageType.alive, 1],
      [MessageType.alive, 8],
    ],
  );
  assert.deepEqual(
    t.log.filter((l) => l === "refuted"),
    ["refuted", "refuted"],
  );
  // A stale accusation still going round makes it re-assert its alive.
  t.m.applySuspect(suspect("self", 3));
  assert.equal(t.m.local.incarnation, 8);
  assert.ok(t.log.includes("reassert"));
});

test("an alive message showing an older life of this member (other address) is checked, then refuted", () => {
  const t = table();
  const old = alive("self", 5, A2, meta(4));
  t.m.applyAlive(old);
  assert.ok(t.log.includes("self claim 127.0.0.2"), "the other address is asked first");
  assert.equal(t.m.local.incarnation, 0, "nothing refuted before the check");
  t.m.refuteOlderLife(old); // nothing answered there: an older life
  assert.equal(t.m.local.incarnation, 6);
  assert.equal(t.m.local.metadata.version, 5, "metadata version moves above the old life's");
  assert.deepEqual(t.m.local.address, A1);
  // Our own alive echoed back is not.
  t.broadcasts.length = 0;
  t.m.applyAlive(t.m.localAlive());
  assert.deepEqual(t.broadcasts, []);
});

test("dead and left: recorded, stale alive cannot resurrect, a newer incarnation can (rejoin at a new address)", () => {
  const t = table();
  t.m.applyAlive(alive("b", 3, A1));
  t.m.applyAlive(alive("c", 1, A2));
  t.m.applyDead(dead("b", 3, "x"));
  t.m.applyDead(dead("c", 1, "c"));
  assert.equal(t.m.get("b")?.state, "dead");
  assert.equal(t.m.get("c")?.state, "left");
  t.m.applyAlive(alive("b", 3, A1));
  t.m.applySuspect(suspect("b", 9));
  assert.equal(t.m.get("b")?.state, "dead", "stale alive and suspicions of the dead are ignored");
  t.m.applyAlive(alive("b", 4, A2));
  assert.equal(t.m.get("b")?.state, "alive");
  assert.deepEqual(t.m.get("b")?.address, A2);
  assert.deepEqual(
    t.events.filter((e) => e.name === "b").map((e) => e.kind),
    ["joined", "dead", "joined", "updated"],
  );
  assert.equal(t.m.liveCount(), 2);
});

test("dead and left members are forgotten after the retention time, live ones never", () => {
  const t = table();
  t.m.applyAlive(alive("b", 1));
  t.m.applyAlive(alive("c", 1));
  t.m.applyDead(dead("b", 1));
  t.advance(999);
  assert.deepEqual(t.m.sweep(1000), []);
  t.advance(1);
  assert.deepEqual(t.m.sweep(1000), ["b"]);
  assert.equal(t.m.get("b"), undefined);
  assert.equal(t.m.get("c")?.state, "alive");
});

test("metadata announced by digest is fetched; the fetched copy is taken once", () => {
  const t = table();
  t.m.applyAlive(alive("b", 1, A2, { version: 2, digest: "digest-2", size: 3000 }));
  assert.ok(t.log.includes("fetch b"));
  assert.equal(t.m.get("b")?.pendingMetadata?.digest.version, 2);
  assert.equal(t.m.applyFetchedMetadata("b", 1, meta(2, ["big", "big", "a"])), true);
  assert.deepEqual(t.m.get("b")?.metadata.capabilities, ["a", "big"], "normalised: sorted, unique");
  assert.equal(t.m.get("b")?.pendingMetadata, undefined);
  assert.equal(t.m.applyFetchedMetadata("b", 1, meta(2)), false, "nothing pending any more");
  // A later alive with the same digest as what we hold needs no fetch.
  t.log.length = 0;
  t.m.applyAlive(alive("b", 2, A2, { version: 2, digest: "digest-2", size: 3000 }));
  assert.deepEqual(t.log, []);
});

test("a local metadata update bumps version and incarnation and is gossiped; leave marks left", () => {
  const t = table();
  t.m.updateLocalMetadata(["x", "y"], { zone: "a" });
  assert.equal(t.m.local.metadata.version, 2);
  assert.equal(t.m.local.incarnation, 1);
  assert.deepEqual(t.broadcasts.at(-1), { name: "self", type: MessageType.alive, incarnation: 1 });
  const d = t.m.leave();
  assert.equal(d.from, "self");
  assert.equal(t.m.local.state, "left");
  t.m.applySuspect(suspect("self", 5));
  assert.equal(t.m.local.incarnation, 1, "a leaving member does not refute");
});

test("a newer alive moving a live member to another address is held for the name guard; verified, it is taken", () => {
  const t = table();
  t.m.applyAlive(alive("b", 1, A1));
  const moved = alive("b", 2, A2);
  t.m.applyAlive(moved);
  assert.deepEqual(t.m.get("b")?.address, A1, "a live holder keeps its address");
  assert.equal(t.m.get("b")?.incarnation, 1);
  assert.ok(t.log.includes("claim b 127.0.0.2"));
  t.m.applyAlive(moved, true); // nothing answered at A1
  assert.deepEqual(t.m.get("b")?.address, A2);
  assert.equal(t.m.get("b")?.incarnation, 2);
  // Same address, newer incarnation: no check.
  t.log.length = 0;
  t.m.applyAlive(alive("b", 3, A2));
  assert.equal(t.m.get("b")?.incarnation, 3);
  assert.deepEqual(t.log, []);
});

test("the table holds at most maxMembers; new names past it are refused, known ones still update", () => {
  const t = table(3);
  t.m.applyAlive(alive("b", 1, A2));
  t.m.applyAlive(alive("c", 1, A2));
  t.m.applyAlive(alive("d", 1, A2));
  assert.equal(t.m.size, 3);
  assert.equal(t.m.get("d"), undefined);
  assert.ok(t.log.includes("refused d"));
  t.m.applyAlive(alive("b", 2, A2));
  assert.equal(t.m.get("b")?.incarnation, 2);
  assert.equal(t.m.liveCount(), 3);
});

test("liveCount follows every state change without a scan", () => {
  const t = table();
  t.m.applyAlive(alive("b", 1, A2));
  t.m.applyAlive(alive("c", 1, A2));
  t.m.applySuspect(suspect("b", 1));
  assert.equal(t.m.liveCount(), 3, "suspect members are live");
  t.m.applyDead(dead("b", 1, "x"));
  t.m.applyDead(dead("c", 1, "c"));
  assert.equal(t.m.liveCount(), 1);
  t.m.applyAlive(alive("b", 2, A2));
  assert.equal(t.m.liveCount(), 2);
  t.advance(1_000_000);
  t.m.sweep(1);
  assert.equal(t.m.liveCount(), 2);
  t.m.leave();
  assert.equal(t.m.liveCount(), 1);
  let scanned = 0;
  for (const r of t.m.records()) if (r.state === "alive" || r.state === "suspect") scanned++;
  assert.equal(t.m.liveCount(), scanned);
});
