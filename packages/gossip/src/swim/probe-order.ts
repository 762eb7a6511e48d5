import { type Random, randomInt, shuffle } from "@mesh/interface";

/**
 * SWIM's round-robin probe order: every member is probed once per round, in an
 * order shuffled anew each round, so a failed member is probed by someone within
 * a bounded time (the paper's "time-bounded completeness"). A new member is
 * inserted at a random place in the current round (memberlist addNode).
 */
export class ProbeOrder {
  readonly #random: Random;
  #names: string[] = [];
  #index = 0;

  constructor(random: Random) {
    this.#random = random;
  }

  add(name: string): void {
    // Appended, then swapped with a random place in the rest of the round (memberlist's
    // way): a splice moved half the array per member, quadratic for a large push-pull.
    const at = this.#index + randomInt(this.#random, this.#names.length - this.#index + 1);
    this.#names.push(name);
    const last = this.#names.length - 1;
    this.#names[last] = this.#names[at] as string;
    this.#names[at] = name;
  }

  /**
   * The next member to probe: the next name that `eligible` accepts; at the end of
   * a round, `candidates()` gives the members for a new shuffled round.
   */
  next(eligible: (name: string) => boolean, candidates: () => string[]): string | undefined {
    let reshuffled = false;
    for (;;) {
      if (this.#index >= this.#names.length) {
        if (reshuffled) return undefined;
        this.#names = shuffle(this.#random, candidates());
        this.#index = 0;
        reshuffled = true;
        if (this.#names.length === 0) return undefined;
      }
      const name = this.#names[this.#index++] as string;
      if (eligible(name)) return name;
    }
  }
}
