import type { Clock, TimerHandle } from "@mesh/interface";
import { type Activation, IDLE } from "./activation.js";
import type { ActorType } from "./actor-type.js";
import { ACTORS_SCANNED_PER_SWEEP, PASSIVATIONS_PER_SWEEP } from "./config.js";
import { isIdleExpired } from "./passivation-math.js";

/** What the sweep needs of the runtime. */
export interface SweepHost {
  /** Written by the sweep; every message stamps it on its actor. */
  tick: number;
  readonly stopping: boolean;
  readonly types: ReadonlyMap<string, ActorType>;
  /** Soft-deactivates `act` with reason "idle". */
  passivate(act: Activation): void;
}

/**
 * Idle passivation with one clock timer per runtime, never one per actor. Each
 * tick continues (or starts, when due) every passivating type's scan and
 * passivates the idle-expired actors it meets. A tick examines at most
 * ACTORS_SCANNED_PER_SWEEP actors and passivates at most PASSIVATIONS_PER_SWEEP;
 * a scan cut short resumes next tick where it stopped (a Map iterator stays
 * valid while the map changes), so a million actors cost many pauses of a few
 * milliseconds, never one long one. The timer runs only while actors remain.
 */
export class PassivationSweep {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #host: SweepHost;
  #handle: TimerHandle | undefined;

  constructor(clock: Clock, intervalMs: number, host: SweepHost) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#host = host;
  }

  /** Starts ticking if it is not already (called when an actor of a passivating type activates). */
  arm(): void {
    if (this.#handle !== undefined || this.#host.stopping) return;
    this.#handle = this.#clock.setTimeout(this.#onTick, this.#intervalMs);
  }

  stop(): void {
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  readonly #onTick = (): void => {
    this.#handle = undefined;
    const host = this.#host;
    const tick = ++host.tick;
    let examine = ACTORS_SCANNED_PER_SWEEP;
    let passivate = PASSIVATIONS_PER_SWEEP;
    let remaining = 0;
    for (const type of host.types.values()) {
      if (!type.passivates) continue;
      if (type.scan === undefined && tick >= type.nextScanTick) type.scan = type.actors.values();
      const scan = type.scan;
      while (scan !== undefined && examine > 0 && passivate > 0) {
        const next = scan.next();
        if (next.done === true) {
          type.scan = undefined;
          type.nextScanTick = tick + type.scanPeriodTicks;
          break;
        }
        examine--;
        const act = next.value;
        if (act.status === IDLE && act.mailbox === null && isIdleExpired(tick, act.lastUsedTick, type.idleTicks)) {
          passivate--;
          host.passivate(act);
        }
      }
      remaining += type.actors.size;
    }
    if (remaining > 0) this.arm();
    else for (const type of host.types.values()) type.scan = undefined;
  };
}
