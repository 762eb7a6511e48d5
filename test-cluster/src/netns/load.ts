/**
 * Load for the host scenarios, run by the node processes themselves (the cluster
 * script's Load, which paces itself): each caller drives its own set of counter
 * actors, one call in flight per id, so every reply must be the id's previous value
 * + 1, and the count an actor holds at the end must equal the calls that succeeded.
 */

import { waitFor } from "@mesh/testing";
import { COUNTER_READ, moduleFor } from "../../../scripts/dist/cluster-actors.js";
import type { ClusterProcess } from "../../../scripts/dist/cluster-process.js";
import type { LoadReport, LoadSpec, WireRequest } from "../../../scripts/dist/cluster-protocol.js";

/** The capability of the counters the scenarios load (module CounterActor). */
export const COUNTER_CAPABILITY = "counter";

export function counterRequests(ids: readonly string[], capability = COUNTER_CAPABILITY): WireRequest[] {
  return ids.map((id) => ({ module: moduleFor(capability), id, capability }));
}

/** `count` ids for `caller`: `<caller>-<tag>-1…`, disjoint from every other caller's. */
export function callerIds(caller: string, tag: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${caller}-${tag}-${i + 1}`);
}

export interface LoadPlan {
  readonly loadId: string;
  readonly idsPerCaller: number;
  readonly concurrency: number;
  readonly maxCallsPerCaller?: number;
  readonly pauseMs?: number;
  readonly backoffMs?: number;
  /** Per-call deadline, in ms. @default the node's callTimeoutMs */
  readonly timeoutMs?: number;
}

/** Starts the same load on every caller over its own ids; returns the ids by caller. */
export async function startLoads(callers: readonly ClusterProcess[], plan: LoadPlan): Promise<Map<string, string[]>> {
  const ids = new Map<string, string[]>();
  await Promise.all(
    callers.map((p) => {
      const mine = callerIds(p.name, plan.loadId, plan.idsPerCaller);
      ids.set(p.name, mine);
      const requests = counterRequests(mine).map((r) =>
        plan.timeoutMs === undefined ? r : { ...r, timeoutMs: plan.timeoutMs },
      );
      const spec: LoadSpec = {
        loadId: plan.loadId,
        requests,
        concurrency: plan.concurrency,
        checkCounter: true,
        ...(plan.maxCallsPerCaller === undefined ? {} : { maxCalls: plan.maxCallsPerCaller }),
        ...(plan.pauseMs === undefined ? {} : { pauseMs: plan.pauseMs }),
        ...(plan.backoffMs === undefined ? {} : { backoffMs: plan.backoffMs }),
      };
      return p.loadStart(spec);
    }),
  );
  return ids;
}

/** Waits until every caller's load has made its maxCalls, then returns the reports. */
export async function finishLoads(
  callers: readonly ClusterProcess[],
  loadId: string,
  timeoutMs: number,
): Promise<Map<string, LoadReport>> {
  let peeks: LoadReport[] = [];
  await waitFor(
    `load ${loadId} to finish on ${callers.map((p) => p.name).join(", ")}`,
    async () => {
      peeks = await Promise.all(callers.map((p) => p.loadPeek(loadId)));
      return peeks.every((r) => r.finished);
    },
    {
      timeoutMs,
      intervalMs: 500,
      describe: () => peeks.map((r) => `${r.loadId}: ${r.ok} ok, ${r.failed} failed`).join("; "),
    },
  );
  return stopLoads(callers, loadId);
}

/** Stops the load on every caller and returns the reports by caller. */
export async function stopLoads(callers: readonly ClusterProcess[], loadId: string): Promise<Map<string, LoadReport>> {
  const reports = await Promise.all(callers.map(async (p) => [p.name, await p.loadStop(loadId)] as const));
  return new Map(reports);
}

/** The count each counter holds now, read through `via` (a read changes nothing). */
export async function readCounters(via: ClusterProcess, ids: readonly string[]): Promise<Map<string, number | string>> {
  const outcomes = await via.callMany(
    counterRequests(ids).map((r) => ({ ...r, payload: COUNTER_READ })),
    32,
    120_000,
  );
  return new Map(outcomes.map((o) => [o.id, o.ok ? (o.response as number) : `${o.error.code}`]));
}

/** Totals over the reports of several callers. */
export function totals(reports: Iterable<LoadReport>): {
  ok: number;
  failed: number;
  violations: number;
  failures: Record<string, number>;
  maxLatencyMs: number;
} {
  let ok = 0;
  let failed = 0;
  let violations = 0;
  let maxLatencyMs = 0;
  const failures: Record<string, number> = {};
  for (const r of reports) {
    ok += r.ok;
    failed += r.failed;
    violations += r.counterViolationCount;
    maxLatencyMs = Math.max(maxLatencyMs, r.maxLatencyMs);
    for (const [code, f] of Object.entries(r.failures)) failures[code] = (failures[code] ?? 0) + f.count;
  }
  return { ok, failed, violations, failures, maxLatencyMs };
}

/** The first few counter replies out of sequence, across callers: "id: expected 8, got 1; …". */
export function violationSamples(reports: Iterable<LoadReport>, max = 5): string {
  const samples = [...reports].flatMap((r) => r.counterViolations).slice(0, max);
  return samples.map((v) => `${v.id}: expected ${v.expected}, got ${String(v.got)}`).join("; ") || "none";
}

/** "CODE x3, OTHER x1", or "none". */
export function formatFailures(failures: Readonly<Record<string, number>>): string {
  const parts = Object.entries(failures).map(([code, n]) => `${code} x${n}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

/** The first few failed calls, across callers: "id CODE after N ms: message; …", or "none". */
export function failureSamples(reports: Iterable<LoadReport>, max = 3): string {
  const lines = [...reports]
    .flatMap((r) => r.failureSamples)
    .flatMap((o) => (o.ok ? [] : [`${o.id} ${o.error.code} after ${Math.round(o.latencyMs)} ms: ${o.error.message}`]));
  return lines.slice(0, max).join("; ") || "none";
}

/**
 * Compares the effects the counters hold with what the callers saw: for each id,
 * the count read now must equal the last reply its caller got (no effect after it,
 * none lost before it), and the counts must add up to the successful calls.
 * Returns the mismatches (empty when all is well) and the sum of the counts.
 */
export async function auditCounters(
  via: ClusterProcess,
  reports: ReadonlyMap<string, LoadReport>,
  idsByCaller: ReadonlyMap<string, readonly string[]>,
): Promise<{ mismatches: string[]; sum: number; ok: number }> {
  const ids = [...idsByCaller.values()].flat();
  const counts = await readCounters(via, ids);
  const mismatches: string[] = [];
  let sum = 0;
  for (const [caller, mine] of idsByCaller) {
    const report = reports.get(caller);
    for (const id of mine) {
      const count = counts.get(id);
      const last = report?.counters[id] ?? 0;
      if (typeof count !== "number") mismatches.push(`${id}: read failed (${count})`);
      else {
        sum += count;
        if (count !== last) mismatches.push(`${id}: holds ${count}, last reply ${last}`);
      }
    }
  }
  const ok = totals(reports.values()).ok;
  if (sum !== ok) mismatches.unshift(`the counters hold ${sum} effects, ${ok} calls succeeded`);
  return { mismatches, sum, ok };
}
