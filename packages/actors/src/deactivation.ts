/**
 * A pending or running deactivation of one activation. Requests made while it
 * waits merge into it: a hard request (rebalance, shutdown) overrides a soft one
 * (idle, requested). Its promise is made only if someone asks for it, so idle
 * passivation of many actors allocates no promises.
 */
export class Deactivation {
  reason: string;
  /** Hard: queued messages are rejected with MESH_ERR_DEACTIVATED. Soft: they go to a fresh activation. */
  hard: boolean;
  wantSnapshot: boolean;
  /** Soft and asked for during activation: wait until the mailbox is empty. */
  whenIdle = false;
  started = false;
  #done = false;
  #value: unknown;
  #error: unknown;
  #failed = false;
  #promise: Promise<unknown> | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  constructor(reason: string, hard: boolean, wantSnapshot: boolean) {
    this.reason = reason;
    this.hard = hard;
    this.wantSnapshot = wantSnapshot;
  }

  merge(reason: string, hard: boolean, wantSnapshot: boolean): void {
    if (!this.started) {
      if (hard && !this.hard) this.reason = reason;
      this.wantSnapshot ||= wantSnapshot;
    }
    this.hard ||= hard;
    if (hard) this.whenIdle = false;
  }

  /** Resolves with the snapshot (or undefined) once the activation is gone. */
  promise(): Promise<unknown> {
    if (this.#promise === undefined) {
      if (this.#done) {
        this.#promise = this.#failed ? Promise.reject(this.#error) : Promise.resolve(this.#value);
      } else {
        this.#promise = new Promise((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      }
    }
    return this.#promise;
  }

  finish(value: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#value = value;
    this.#resolve?.(value);
  }

  finishWithError(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#failed = true;
    this.#error = error;
    this.#reject?.(error);
  }
}
