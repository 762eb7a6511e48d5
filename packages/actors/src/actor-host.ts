import type { Activation } from "./activation.js";
import type { ActorRequest, CallResult } from "./router.js";

/**
 * What an activation needs from the runtime that hosts it (its context's
 * timers, calls, casts and deactivation). A narrow interface, so the activation
 * and its type do not depend on the runtime core, which depends on them.
 */
export interface ActorHost {
  readonly nodeName: string;
  readonly timers: {
    set(act: Activation, callback: () => unknown, delayMs: number, repeat: boolean): number;
    clear(act: Activation, timerId: number): void;
  };
  callFrom(act: Activation, request: ActorRequest): Promise<CallResult>;
  castFrom(act: Activation, request: ActorRequest): Promise<void>;
  requestDeactivation(act: Activation, reason: string, hard: boolean, wantSnapshot: boolean): unknown;
}
