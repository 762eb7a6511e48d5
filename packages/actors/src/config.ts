import { invalidArgument } from "@mesh/interface";

/** Messages that may wait in one actor's mailbox (the running one not counted). */
export const DEFAULT_MAILBOX_CAPACITY = 1000;
/** Five minutes, Orleans' order of magnitude: long enough for a session, short enough to free memory. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** How often the passivation sweep ticks; it bounds how late past its timeout an idle actor goes. */
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;
export const DEFAULT_NODE_NAME = "local";
/**
 * Most actors one sweep tick examines: a scan touches each actor's record (a cache
 * miss, ~50-80 ns here), so 50,000 is a few milliseconds; a longer scan resumes on
 * the next tick.
 */
export const ACTORS_SCANNED_PER_SWEEP = 50_000;
/**
 * Most actors one sweep tick passivates. Deleting from a Map of a million entries
 * costs 0.3-2 µs here, so 10,000 is a pause of a few milliseconds; the rest go
 * on the following ticks, so the event loop never stalls for long.
 */
export const PASSIVATIONS_PER_SWEEP = 10_000;

/** Options for an {@link ActorRuntime}; each is also the default for every registered type. */
export interface ActorRuntimeInit {
  /**
   * Messages that may wait in one actor's mailbox; one more is rejected with
   * `MESH_ERR_OVERLOADED`. 0 means none may wait (only idle actors take messages).
   * @default 1000
   */
  readonly mailboxCapacity?: number;
  /**
   * Milliseconds without a message after which an actor is deactivated with
   * reason `"idle"`. 0 or Infinity disables idle passivation.
   * @default 300000 (5 minutes)
   */
  readonly idleTimeoutMs?: number;
  /**
   * Milliseconds between passivation sweeps. One timer per runtime, never one per actor.
   * @default 1000
   */
  readonly sweepIntervalMs?: number;
}

export interface ActorRuntimeConfig {
  readonly mailboxCapacity: number;
  readonly idleTimeoutMs: number;
  readonly sweepIntervalMs: number;
}

/** Per-type options given to `register`; unset ones come from the runtime's. */
export interface ActorTypeInit {
  /** @default the runtime's `idleTimeoutMs` */
  readonly idleTimeoutMs?: number;
  /** @default the runtime's `mailboxCapacity` */
  readonly mailboxCapacity?: number;
}

export interface ActorTypeConfig {
  readonly mailboxCapacity: number;
  /** Infinity when passivation is off (an init of 0 is stored as Infinity). */
  readonly idleTimeoutMs: number;
}

export function resolveRuntimeConfig(init: ActorRuntimeInit = {}): ActorRuntimeConfig {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const sweepIntervalMs = init.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (typeof sweepIntervalMs !== "number" || !Number.isFinite(sweepIntervalMs) || sweepIntervalMs <= 0) {
    throw invalidArgument("sweepIntervalMs", "a finite number > 0", sweepIntervalMs);
  }
  return Object.freeze({
    mailboxCapacity: checkCapacity("mailboxCapacity", init.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY),
    idleTimeoutMs: checkIdle("idleTimeoutMs", init.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS),
    sweepIntervalMs,
  });
}

export function resolveTypeConfig(init: ActorTypeInit | undefined, defaults: ActorRuntimeConfig): ActorTypeConfig {
  if (init === undefined)
    return Object.freeze({ mailboxCapacity: defaults.mailboxCapacity, idleTimeoutMs: defaults.idleTimeoutMs });
  if (typeof init !== "object" || init === null) throw invalidArgument("options", "an object", init);
  return Object.freeze({
    mailboxCapacity: checkCapacity("options.mailboxCapacity", init.mailboxCapacity ?? defaults.mailboxCapacity),
    idleTimeoutMs: checkIdle("options.idleTimeoutMs", init.idleTimeoutMs ?? defaults.idleTimeoutMs),
  });
}

function checkCapacity(property: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(property, "an integer >= 0", value);
  }
  return value;
}

function checkIdle(property: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw invalidArgument(property, "a number of milliseconds >= 0 (0 or Infinity disables)", value);
  }
  return value === 0 ? Number.POSITIVE_INFINITY : value;
}
