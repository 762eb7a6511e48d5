/**
 * Pings this member sent as an indirect-probe relay that went unanswered, kept
 * for a short while: if the requester's suspicion of that member reaches us soon
 * after, our failed ping is an independent confirmation of it (Lifeguard's
 * dogpile), just as it is when the suspicion was already known (prober.ts,
 * relayConfirms).
 *
 * Why: the requester sends its indirect pings halfway into its period and
 * suspects at the period's end, the instant our ping runs out; its suspicion
 * reaches us a moment later. Without this memory the first probe of a crashed
 * member confirmed nothing, and each suspicion waited for a second probe of the
 * same member (the buddy's) to be confirmed. After 7 of 10 crashed together the
 * 3 survivors split their probes between finding the rest and confirming the
 * ones found; some suspicions stayed unconfirmed for 7 T.
 *
 * It never starts a suspicion: a requester alone cannot make us accuse anyone.
 * Memory is bounded by the caller's table size (one entry per member).
 */
export class RelayEvidence {
  readonly #misses = new Map<string, { readonly incarnation: number; readonly at: number }>();

  /** Our relay ping of `name` (at `incarnation`) went unanswered at time `at`. */
  missed(name: string, incarnation: number, at: number, limit: number): void {
    this.#misses.delete(name);
    this.#misses.set(name, { incarnation, at });
    // Oldest first (insertion order): drop the oldest once the map outgrows the table.
    while (this.#misses.size > limit) {
      const oldest = this.#misses.keys().next().value as string;
      this.#misses.delete(oldest);
    }
  }

  /** True (once) if our ping of `name` at `incarnation` went unanswered at or after `since`. */
  take(name: string, incarnation: number, since: number): boolean {
    const m = this.#misses.get(name);
    if (m === undefined) return false;
    this.#misses.delete(name);
    return m.incarnation === incarnation && m.at >= since;
  }
}
