import assert from "node:assert/strict";
import { test } from "node:test";
import { clampScore, scaleByHealth } from "../src/swim/awareness.js";
import {
  expectedConfirmations,
  pushPullIntervalMs,
  remainingSuspicionMs,
  retransmitLimit,
  suspicionTimeoutMs,
} from "../src/swim/math.js";
import { relayNackDelayMs } from "../src/swim/prober.js";

test("suspicionTimeoutMs = mult * max(1, log10(n)) * interval", () => {
  const cases: [mult: number, n: number, interval: number, expected: number][] = [
    [3, 0, 1000, 3000], // n < 1 is clamped to 1
    [3, 1, 1000, 3000],
    [3, 5, 1000, 3000], // log10(5) < 1: never below mult * interval
    [3, 10, 1000, 3000],
    [3, 50, 1000, 5096], // floor(3 * 1.69897 * 1000)
    [4, 50, 1000, 6795],
    [4, 100, 1000, 8000],
    [4, 200, 1000, 9204],
    [4, 1000, 1000, 12000],
    [6, 100, 5000, 60000],
  ];
  for (const [mult, n, interval, expected] of cases) {
    assert.equal(suspicionTimeoutMs(mult, n, interval), expected, `mult ${mult}, n ${n}`);
  }
});

test("retransmitLimit = max(3, mult * ceil(log10(n + 1)))", () => {
  const cases: [mult: number, n: number, expected: number][] = [
    [4, 0, 3], // the floor
    [2, 5, 3], // the local preset at n = 5: 2 by the formula, 3 by the floor
    [2, 10, 4],
    [1, 100, 3],
    [4, 1, 4],
    [4, 9, 4],
    [4, 10, 8],
    [4, 50, 8],
    [4, 99, 8],
    [4, 100, 12],
    [4, 200, 12],
    [2, 1000, 8],
  ];
  for (const [mult, n, expected] of cases) assert.equal(retransmitLimit(mult, n), expected, `mult ${mult}, n ${n}`);
});

test("pushPullIntervalMs keeps the base up to 32 members, then adds one base per doubling", () => {
  const cases: [n: number, expected: number][] = [
    [1, 30_000],
    [32, 30_000],
    [33, 60_000],
    [64, 60_000],
    [65, 90_000],
    [128, 90_000],
    [200, 120_000],
    [256, 120_000],
    [257, 150_000],
    [1000, 180_000],
  ];
  for (const [n, expected] of cases) assert.equal(pushPullIntervalMs(30_000, n), expected, `n ${n}`);
});

test("remainingSuspicionMs starts at max and reaches min after k confirmations", () => {
  // min 1000, max 6000, k = 3 (memberlist's suspicion_test table shape)
  const cases: [c: number, k: number, elapsed: number, expected: number][] = [
    [0, 3, 0, 6000],
    [1, 3, 0, 3500], // 6000 - 5000 * log(2)/log(4) = 3500
    [2, 3, 0, 2037], // floor(6000 - 5000 * log(3)/log(4))
    [3, 3, 0, 1000],
    [4, 3, 0, 1000], // never below min
    [3, 3, 500, 500],
    [3, 3, 2000, -1000], // already due
    [0, 0, 0, 1000], // k = 0: the minimum straight away
    [0, 0, 250, 750],
  ];
  for (const [c, k, elapsed, expected] of cases) {
    assert.equal(remainingSuspicionMs(c, k, elapsed, 1000, 6000), expected, `c ${c}, k ${k}, elapsed ${elapsed}`);
  }
});

test("expectedConfirmations is suspicionMult - 2, or 0 when the cluster is too small", () => {
  const cases: [mult: number, n: number, expected: number][] = [
    [4, 1, 0],
    [4, 3, 0],
    [4, 4, 2],
    [4, 50, 2],
    [6, 5, 0],
    [6, 6, 4],
    [2, 50, 0],
    [1, 50, 0],
  ];
  for (const [mult, n, expected] of cases)
    assert.equal(expectedConfirmations(mult, n), expected, `mult ${mult}, n ${n}`);
});

test("awareness: score clamped to [0, max - 1], timeouts scaled by score + 1", () => {
  const clamps: [score: number, max: number, expected: number][] = [
    [-1, 8, 0],
    [0, 8, 0],
    [3, 8, 3],
    [7, 8, 7],
    [8, 8, 7],
    [100, 8, 7],
    [5, 1, 0],
  ];
  for (const [score, max, expected] of clamps)
    assert.equal(clampScore(score, max), expected, `score ${score}, max ${max}`);
  const scales: [timeout: number, score: number, expected: number][] = [
    [1000, 0, 1000],
    [1000, 1, 2000],
    [500, 7, 4000],
  ];
  for (const [timeout, score, expected] of scales) assert.equal(scaleByHealth(timeout, score), expected);
});

test("relay nack delay lands before the requester's deadline", () => {
  const cases: [interval: number, timeout: number, expected: number][] = [
    [1000, 500, 400], // LAN: the nack arrives ~900 ms into a 1000 ms period
    [5000, 3000, 1600], // WAN
    [1000, 200, 200], // local: a full probe timeout fits
    [1000, 1000, 1], // degenerate: no time left, nack at once
  ];
  for (const [interval, timeout, expected] of cases) assert.equal(relayNackDelayMs(interval, timeout), expected);
});
