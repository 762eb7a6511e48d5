/**
 * A sliding anti-replay window over message counters (the IPsec scheme of
 * RFC 4303 §3.4.3, with the bitmap of RFC 6479): it remembers the highest counter
 * accepted, `top`, and which of the `size` counters at or below it were seen.
 *   counter > top               -> new (the window slides forward)
 *   counter <= top - size       -> too old to tell: treated as a replay
 *   otherwise                   -> a replay iff its bit is set
 * `check` and `commit` are separate so a counter is recorded only after its
 * message has been authenticated: forged packets cannot move the window.
 */
export class ReplayWindow {
  readonly size: number;
  readonly #bits: Uint32Array;
  #top = -1;

  /** `size` in counters; rounded up to a multiple of 32. */
  constructor(size = 1024) {
    const words = Math.max(1, Math.ceil(size / 32));
    this.size = words * 32;
    this.#bits = new Uint32Array(words);
  }

  get top(): number {
    return this.#top;
  }

  /** True if a message with this counter may be accepted. */
  check(counter: number): boolean {
    if (counter > this.#top) return true;
    if (this.#top - counter >= this.size) return false;
    return !this.#get(counter);
  }

  /** Records an accepted counter (call only after `check` returned true and the message authenticated). */
  commit(counter: number): void {
    if (counter > this.#top) {
      const advance = counter - this.#top;
      if (this.#top < 0 || advance >= this.size) this.#bits.fill(0);
      else for (let c = this.#top + 1; c < counter; c++) this.#clear(c);
      this.#top = counter;
    }
    this.#set(counter);
  }

  #get(counter: number): boolean {
    const bit = counter % this.size;
    return ((this.#bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  #set(counter: number): void {
    const bit = counter % this.size;
    this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] as number) | (1 << (bit & 31));
  }

  #clear(counter: number): void {
    const bit = counter % this.size;
    this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] as number) & ~(1 << (bit & 31));
  }
}
