import { type Clock, type Logger, MeshError, noopLogger, type Random, type TimerHandle } from "@mesh/interface";
import type { DiscoveryContext } from "./discovery.js";

/** Polling strategies' libcluster default (`polling_interval`), in ms. */
export const DEFAULT_POLLING_INTERVAL_MS = 5_000;
/** After consecutive failures the retry delay doubles from the polling interval up to this, in ms. */
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** Each delay is drawn from delay × (1 ± jitter), so nodes started together do not poll in lockstep. */
export const DEFAULT_POLL_JITTER = 0.2;

/** The collaborators of a polling strategy; each falls back to the node's (through the context), then the system's. */
export interface PollingComponents {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  /** Called with every failure (a MESH_ERR_DISCOVERY_FAILED), beside the node's `discovery:failed` event. */
  readonly onFailure?: (error: MeshError) => void;
}

/** Failures a strategy met, by reason ("timeout", "nxdomain", "http-401", "malformed", …). */
export interface FailureStats {
  failures: number;
  readonly failuresByReason: Record<string, number>;
  /** The last failure's reason, or undefined once a poll succeeded again. */
  lastFailure: string | undefined;
}

export function emptyFailureStats(): FailureStats {
  return { failures: 0, failuresByReason: {}, lastFailure: undefined };
}

/**
 * The delay before the next attempt: the polling interval after a success; after
 * `failures` consecutive failures, interval × 2^(failures−1) capped at maxBackoffMs
 * — then spread by ± jitter. Never below 1 ms, so no strategy ever spins.
 */
export function nextPollDelayMs(
  failures: number,
  intervalMs: number,
  maxBackoffMs: number,
  jitter: number,
  random: Random,
): number {
  const base = failures === 0 ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(failures - 1, 30));
  return Math.max(1, base * (1 + jitter * (2 * random.next() - 1)));
}

/** The error a strategy reports: code MESH_ERR_DISCOVERY_FAILED, details { strategy, reason, … }. */
export function discoveryFailure(
  strategy: string,
  reason: string,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): MeshError {
  return new MeshError("MESH_ERR_DISCOVERY_FAILED", `${strategy}: ${message}`, {
    cause: options.cause,
    details: { strategy, reason, ...options.details },
  });
}

export interface PollerInit {
  readonly intervalMs: number;
  readonly maxBackoffMs: number;
  readonly jitter: number;
}

/** The resolved collaborators of one running strategy. */
export interface PollerParts {
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly report: (error: MeshError) => void;
}

/** Components first, then what the node passes in the context, then the system's. */
export function pollerParts(
  components: PollingComponents,
  context: DiscoveryContext,
  failures: FailureStats,
  fallback: { clock: Clock; random: Random },
): PollerParts {
  const logger = components.logger ?? context.logger ?? noopLogger;
  return {
    clock: components.clock ?? context.clock ?? fallback.clock,
    random: components.random ?? context.random ?? fallback.random,
    logger,
    report: (error) => {
      const reason = String(error.details?.reason ?? "unknown");
      failures.failures++;
      failures.failuresByReason[reason] = (failures.failuresByReason[reason] ?? 0) + 1;
      failures.lastFailure = reason;
      logger.warn("discovery failed", { ...error.details, error: error.message });
      for (const listener of [components.onFailure, context.onFailure]) {
        try {
          listener?.(error);
        } catch (thrown) {
          logger.warn("discovery failure listener threw", { error: String(thrown) });
        }
      }
    },
  };
}

/**
 * Runs `attempt` until stopped: one at a time, the next one scheduled after the
 * previous settled, by {@link nextPollDelayMs}. `attempt` resolves true on
 * success, false on a failure it has already reported; a throw counts as a
 * failure too. Stopping aborts the signal the running attempt was given.
 */
export class Poller {
  readonly #init: PollerInit;
  readonly #parts: PollerParts;
  readonly #attempt: (signal: AbortSignal) => Promise<boolean>;
  #abort = new AbortController();
  #timer: TimerHandle | undefined;
  #failures = 0;
  #running = false;

  constructor(init: PollerInit, parts: PollerParts, attempt: (signal: AbortSignal) => Promise<boolean>) {
    this.#init = init;
    this.#parts = parts;
    this.#attempt = attempt;
  }

  /** Consecutive failures so far (0 after a success). */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Resets the backoff while an attempt is still running (a watch that opened is healthy, however it ends). */
  markHealthy(): void {
    this.#failures = 0;
  }

  /** Runs the first attempt now and resolves when it settled. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    await this.#run(this.#abort.signal);
  }

  stop(): void {
    this.#running = false;
    this.#abort.abort();
    if (this.#timer !== undefined) this.#parts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let ok = false;
    try {
      ok = await this.#attempt(signal);
    } catch (error) {
      if (!signal.aborted) this.#parts.logger.warn("discovery attempt threw", { error: String(error) });
    }
    if (signal.aborted || !this.#running) return;
    this.#failures = ok ? 0 : this.#failures + 1;
    const { intervalMs, maxBackoffMs, jitter } = this.#init;
    const delay = nextPollDelayMs(this.#failures, intervalMs, maxBackoffMs, jitter, this.#parts.random);
    this.#timer = this.#parts.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#run(signal);
    }, delay);
  }
}
