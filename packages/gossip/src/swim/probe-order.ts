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
  /** The name returned last, so a new round does not start with it. */
  #last: string | undefined;

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
        this.#notFirst(this.#last);
      }
      const name = this.#names[this.#index++] as string;
      if (eligible(name)) {
        this.#last = name;
        return name;
      }
    }
  }

  /**
   * Moves `name` from the head of a new round to a random later place. The member
   * that closed the last round was probed a period ago: probing it again first
   * wasted a period, and a partitioned member found the last of the other side a
   * stretched period late (the round-robin bound assumes no member twice in a row).
   */
  #notFirst(name: string | undefined): void {
    const names = this.#names;
    if (name === undefined || names.length < 2 || names[0] !== name) return;
    const at = 1 + randomInt(this.#random, names.length - 1);
    names[0] = names[at] as string;
    names[at] = name;
  }
}
