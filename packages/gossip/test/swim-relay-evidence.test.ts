/**
 * A relay's unanswered ping confirms the suspicion that follows it
 * (swim/relay-evidence.ts): the bounded memory it keeps. Its effect on a
 * correlated failure is measured in sim-lone-survivor.test.ts (7 of 10).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RelayEvidence } from "../src/swim/relay-evidence.js";

test("relay evidence counts once, for the same incarnation, and only while fresh", () => {
  const e = new RelayEvidence();
  e.missed("a", 3, 1000, 10);
  assert.equal(e.take("a", 3, 500), true);
  assert.equal(e.take("a", 3, 500), false, "taken once");
  e.missed("a", 3, 1000, 10);
  assert.equal(e.take("a", 4, 500), false, "another incarnation: the member has refuted since");
  e.missed("a", 3, 1000, 10);
  assert.equal(e.take("a", 3, 1001), false, "too old");
  assert.equal(e.take("b", 0, 0), false, "never missed");
});

test("relay evidence stays within its bound, dropping the oldest", () => {
  const e = new RelayEvidence();
  for (let i = 0; i < 100; i++) e.missed(`m${i}`, 0, i, 5);
  assert.equal(e.take("m94", 0, 0), false, "dropped");
  for (let i = 95; i < 100; i++) assert.equal(e.take(`m${i}`, 0, 0), true, `m${i} kept`);
});
