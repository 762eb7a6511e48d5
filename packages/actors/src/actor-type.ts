import type { Activation } from "./activation.js";
import type { ActorClass } from "./actor.js";
import type { ActorHost } from "./actor-host.js";
import type { ActorTypeConfig } from "./config.js";
import { idleTicks, scanPeriodTicks } from "./passivation-math.js";

/** A registered actor class with its options and its live activations, keyed by id. */
export class ActorType {
  readonly name: string;
  readonly actorClass: ActorClass;
  readonly config: ActorTypeConfig;
  /** The runtime hosting this type's activations. */
  readonly core: ActorHost;
  readonly actors = new Map<string, Activation>();
  /** False when idleTimeoutMs is 0 or Infinity. */
  readonly passivates: boolean;
  readonly idleTicks: number;
  readonly scanPeriodTicks: number;
  nextScanTick = 0;
  /** The passivation scan in progress over `actors`, resumed tick after tick. */
  scan: IterableIterator<Activation> | undefined = undefined;

  constructor(name: string, actorClass: ActorClass, config: ActorTypeConfig, core: ActorHost, sweepIntervalMs: number) {
    this.name = name;
    this.actorClass = actorClass;
    this.config = config;
    this.core = core;
    this.passivates = Number.isFinite(config.idleTimeoutMs);
    this.idleTicks = this.passivates ? idleTicks(config.idleTimeoutMs, sweepIntervalMs) : Number.POSITIVE_INFINITY;
    this.scanPeriodTicks = this.passivates ? scanPeriodTicks(this.idleTicks) : Number.POSITIVE_INFINITY;
  }
}
