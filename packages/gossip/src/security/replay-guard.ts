import { ReplayWindow } from "./replay-window.js";

/**
 * A replay window per sender instance, bounded: at most `maxSenders` windows are
 * kept, the least recently heard is forgotten first. Only authenticated
 * messages create or touch windows, so a party without the key cannot grow this
 * map; one with the key is a member already. A forgotten sender's old messages
 * would be accepted once more, which the timestamp check limits to the skew window.
 */
export class ReplayGuard {
  readonly #windows = new Map<string, ReplayWindow>();
  readonly #windowSize: number;
  readonly #maxSenders: number;

  constructor(windowSize: number, maxSenders: number) {
    this.#windowSize = windowSize;
    this.#maxSenders = maxSenders;
  }

  /** True (and recorded) if this (sender, counter) is new; false if it is a replay. */
  accept(sender: string, counter: number): boolean {
    let window = this.#windows.get(sender);
    if (window === undefined) {
      if (this.#windows.size >= this.#maxSenders) {
        const oldest = this.#windows.keys().next().value as string;
        this.#windows.delete(oldest);
      }
      window = new ReplayWindow(this.#windowSize);
    } else {
      this.#windows.delete(sender); // re-inserted below: Map order is recency order
    }
    this.#windows.set(sender, window);
    if (!window.check(counter)) return false;
    window.commit(counter);
    return true;
  }

  get senders(): number {
    return this.#windows.size;
  }
}
