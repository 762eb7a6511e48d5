/**
 * What the real-process tests share: a private loopback network per test (random
 * multicast port and secret, so tests running side by side never merge), the SWIM
 * settings they run with, the failure-detection bound those settings promise, and
 * the facts a test reads from the membership events the children report.
 *
 * The process harness itself (fork, IPC, stop, kill) is the cluster script's:
 * scripts/dist/cluster-*.js, compiled before this project.
 */
import { randomBytes, randomInt } from "node:crypto";
import { LOCAL_PRESET, suspicionTimeoutMs } from "@mesh/gossip";
import type { LoopbackNetwork } from "../../../scripts/dist/cluster-harness.js";
import type { ClusterProcess } from "../../../scripts/dist/cluster-process.js";

/** The probe interval T of every test cluster, in ms. */
export const PROBE_INTERVAL_MS = 200;

/** SWIM settings of the test clusters: memberlist's Local preset with T = 200 ms. */
export const TEST_GOSSIP = Object.freeze({ preset: "local", probeIntervalMs: PROBE_INTERVAL_MS });

/**
 * A fresh network for one test: random port in 40000..49999, random secret, the default group.
 * Multicast is pinned to 127.0.0.1 (multicastInterface) by the harness and again by the child.
 */
export function privateNetwork(): LoopbackNetwork {
  return {
    port: randomInt(40_000, 50_000),
    multicastAddr: "230.1.1.251",
    secret: randomBytes(16).toString("hex"),
    gossip: TEST_GOSSIP,
  };
}

/**
 * The longest a crashed member of an n-member cluster may stay undetected with the
 * Local preset at T = PROBE_INTERVAL_MS, when members are healthy (awareness at 0):
 *
 *   2(n - 1)·T                    a survivor's round-robin reaches it (worst case: probed
 *                                 first in one round, last in the next)
 * + T                             the direct and indirect probes of that period fail
 * + suspicionMaxTimeoutMult·min   an unconfirmed suspicion (Lifeguard's upper bound),
 *   min = suspicionMult·max(1, log10 n)·T
 * + 5·gossipIntervalMs            the "dead" reaches every survivor
 *
 * For n = 5: 1600 + 200 + 3600 + 500 = 5900 ms. Confirmations shorten the suspicion
 * towards min, so the usual figure is far lower; the tests report it.
 */
export function detectionBoundMs(n: number, probeStretch = 1): number {
  const t = PROBE_INTERVAL_MS * probeStretch;
  const minMs = suspicionTimeoutMs(LOCAL_PRESET.suspicionMult, n, PROBE_INTERVAL_MS);
  return 2 * (n - 1) * t + t + LOCAL_PRESET.suspicionMaxTimeoutMult * minMs + 5 * LOCAL_PRESET.gossipIntervalMs;
}

/**
 * The same bound for a member cut off from every other (the 1 of a 1 | n−1 split):
 * its probes fail with no relay left to ask, which raises its health score to 1
 * (Lifeguard), so it probes every 2·T; the suspicion timeouts are the normal ones.
 * For n = 4: 2400 + 400 + 3600 + 500 = 6900 ms.
 */
export function isolatedDetectionBoundMs(n: number): number {
  return detectionBoundMs(n, 2);
}

/** When `observer` first reported `event` for `member` at or after `since` (wall-clock ms), or undefined. */
export function eventAt(observer: ClusterProcess, event: string, member: string, since = 0): number | undefined {
  return observer.memberEvents.find((e) => e.event === event && e.member === member && e.at >= since)?.at;
}

/**
 * Deaths and suspicions of live members reported before `until` — false positives
 * of the failure detector ("n1 saw n3 dead at +1234 ms"), for the test output.
 */
export function falseAlarms(procs: readonly ClusterProcess[], until: number, origin: number): string[] {
  return procs.flatMap((p) =>
    p.memberEvents
      .filter((e) => (e.event === "member:dead" || e.event === "member:suspect") && e.at < until)
      .map((e) => `${p.name} saw ${e.member} ${e.state} at +${e.at - origin} ms`),
  );
}

/** The state `observer` last reported for `member` through its events. */
export function lastState(observer: ClusterProcess, member: string): string | undefined {
  for (let i = observer.memberEvents.length - 1; i >= 0; i--) {
    const e = observer.memberEvents[i];
    if (e?.member === member) return e.state;
  }
  return undefined;
}

/** "a 12 ms, b 15 ms" */
export function listMs(entries: Iterable<readonly [string, number]>): string {
  return [...entries].map(([name, ms]) => `${name} ${Math.round(ms)} ms`).join(", ");
}
