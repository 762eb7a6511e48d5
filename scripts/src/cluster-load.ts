/**
 * A background load inside a cluster child: workers that keep calling a set of actors
 * until told to stop, and a report of everything they saw (failures by code and time,
 * which node served each id, counter sequence violations). Used to show that calls
 * keep succeeding while a node hands its actors off, and how fast calls recover when
 * an owner is killed.
 */
import type { CallOutcome, LoadReport, LoadSpec, WireRequest } from "./cluster-protocol.js";

/** Runs one call and reports it; never throws. */
export type CallRunner = (request: WireRequest) => Promise<CallOutcome>;

const DEFAULT_BACKOFF_MS = 20;
const DEFAULT_PAUSE_MS = 2;
const MAX_SAMPLES = 20;

type FailureStats = { count: number; firstAt: number; lastAt: number; maxLatencyMs: number; retryable: boolean };

export class Load {
  readonly #spec: LoadSpec;
  readonly #run: CallRunner;
  #running = true;
  readonly #workers: Promise<void>[] = [];
  #ok = 0;
  #failed = 0;
  #maxLatencyMs = 0;
  readonly #failures: Record<string, FailureStats> = {};
  readonly #failureSamples: CallOutcome[] = [];
  readonly #servedBy: Record<string, { count: number; firstAt: number; lastAt: number }> = {};
  readonly #lastOwner: Record<string, { node: string; since: number }> = {};
  readonly #answeredBy: Record<string, string[]> = {};
  /** Calls started so far (counted against maxCalls). */
  #started = 0;
  #finished = false;
  readonly #counters: Record<string, number> = {};
  readonly #violations: { id: string; expected: number; got: unknown }[] = [];
  #violationCount = 0;
  readonly #wake = new Set<() => void>();

  constructor(spec: LoadSpec, run: CallRunner) {
    this.#spec = spec;
    this.#run = run;
    for (let k = 0; k < spec.concurrency; k++) this.#workers.push(this.#worker(k));
    void Promise.all(this.#workers).then(() => {
      this.#finished = true;
    });
  }

  /** Stops the workers after their current call and returns the report. */
  async stop(): Promise<LoadReport> {
    this.#running = false;
    for (const wake of this.#wake) wake();
    await Promise.all(this.#workers);
    return this.report();
  }

  /** What the load has seen so far (a copy; the load keeps running). */
  report(): LoadReport {
    return structuredClone({
      loadId: this.#spec.loadId,
      ok: this.#ok,
      failed: this.#failed,
      failures: this.#failures,
      failureSamples: this.#failureSamples,
      servedBy: this.#servedBy,
      lastOwner: this.#lastOwner,
      answeredBy: this.#answeredBy,
      finished: this.#finished,
      counterViolations: this.#violations,
      counterViolationCount: this.#violationCount,
      counters: this.#counters,
      maxLatencyMs: this.#maxLatencyMs,
    });
  }

  async #worker(k: number): Promise<void> {
    const { requests, concurrency } = this.#spec;
    const mine = requests.filter((_, i) => i % concurrency === k);
    if (mine.length === 0) return;
    const max = this.#spec.maxCalls ?? Number.POSITIVE_INFINITY;
    for (let i = 0; this.#running && this.#started < max; i = (i + 1) % mine.length) {
      this.#started++;
      const request = mine[i] as WireRequest;
      const outcome = await this.#run(request);
      this.#record(outcome);
      await this.#pause(
        outcome.ok ? (this.#spec.pauseMs ?? DEFAULT_PAUSE_MS) : (this.#spec.backoffMs ?? DEFAULT_BACKOFF_MS),
      );
    }
  }

  #pause(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake.add(done);
    });
  }

  #record(outcome: CallOutcome): void {
    const end = outcome.startedAt + outcome.latencyMs;
    if (outcome.latencyMs > this.#maxLatencyMs) this.#maxLatencyMs = outcome.latencyMs;
    if (!outcome.ok) {
      this.#failed++;
      const { code, retryable } = outcome.error;
      const f = this.#failures[code] ?? { count: 0, firstAt: end, lastAt: end, maxLatencyMs: 0, retryable };
      this.#failures[code] = f;
      f.count++;
      f.lastAt = end;
      f.maxLatencyMs = Math.max(f.maxLatencyMs, outcome.latencyMs);
      if (this.#failureSamples.length < MAX_SAMPLES) this.#failureSamples.push(outcome);
      return;
    }
    this.#ok++;
    const served = this.#servedBy[outcome.node] ?? { count: 0, firstAt: end, lastAt: end };
    this.#servedBy[outcome.node] = served;
    served.count++;
    served.lastAt = end;
    const last = this.#lastOwner[outcome.id];
    if (last?.node !== outcome.node) {
      this.#lastOwner[outcome.id] = { node: outcome.node, since: end };
      const nodes = this.#answeredBy[outcome.id] ?? [];
      this.#answeredBy[outcome.id] = nodes;
      if (!nodes.includes(outcome.node)) nodes.push(outcome.node);
    }
    if (this.#spec.checkCounter === true) this.#checkCounter(outcome.id, outcome.response);
  }

  #checkCounter(id: string, got: unknown): void {
    const previous = this.#counters[id];
    // The first reply sets the base (the id may have been called before the load).
    const expected = previous === undefined ? got : previous + 1;
    if (typeof got !== "number" || got !== expected) {
      this.#violationCount++;
      if (this.#violations.length < MAX_SAMPLES) this.#violations.push({ id, expected: Number(expected), got });
    }
    if (typeof got === "number") this.#counters[id] = got;
  }
}
