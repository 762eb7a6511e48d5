/**
 * Closed-loop load: `concurrency` workers each run `op(i)` for the next index until
 * `total` operations are done. Returns the wall time and, when asked, each latency.
 */
export interface LoadResult {
  readonly ops: number;
  readonly ms: number;
  readonly opsPerSec: number;
  readonly latenciesUs?: Float64Array;
}

export async function runLoad(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
  recordLatency = false,
): Promise<LoadResult> {
  let next = 0;
  const latencies = recordLatency ? new Float64Array(total) : undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      if (latencies === undefined) {
        await op(i);
      } else {
        const t0 = performance.now();
        await op(i);
        latencies[i] = (performance.now() - t0) * 1000;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const ms = performance.now() - t0;
  return {
    ops: total,
    ms,
    opsPerSec: (total / ms) * 1000,
    ...(latencies === undefined ? {} : { latenciesUs: latencies }),
  };
}

/** The q-quantile (0..1) of the values, by sorting a copy. */
/** What a timed closed loop did: operations, wall time and this process's CPU time (µs, all threads). */
export interface TimedLoad {
  readonly ops: number;
  readonly elapsedMs: number;
  readonly cpuUs: number;
}

/** Closed loop for `seconds`: `concurrency` workers each await `op(i)` with the next index, then stop. */
export async function runFor(
  seconds: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<TimedLoad> {
  let ops = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await op(next++);
      ops++;
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(cpu);
  return { ops, elapsedMs: performance.now() - started, cpuUs: used.user + used.system };
}

export function quantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
