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
export function quantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
