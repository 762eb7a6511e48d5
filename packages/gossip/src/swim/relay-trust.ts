/**
 * Which members this member trusts as indirect-probe relays, and whose silence
 * may count against its own health (Lifeguard's local health assumes the relays
 * are healthy: a missing nack means our messages are not getting through).
 *
 * A member is trusted once it has answered this member directly (an ack to our
 * own ping, or a nack or relayed ack as our relay), and stays trusted until a
 * request we sent it goes unanswered. So:
 * - a member that has never answered us (e.g. a fake "alive" member gossiped by
 *   anyone, with an address where nothing listens) is never asked to relay, and
 *   failed probes of it say nothing about our health;
 * - each member's silence counts against our health at most once until it
 *   answers again: members that crashed together (or sit across a partition) add
 *   one point, not one point per probe, and a lone survivor's score stays low.
 * A member whose last request went unanswered is also "silent": copies of
 * updates sent to it do not count against their retransmit budget (after a
 * correlated failure, most members that still look alive are gone).
 */
export class RelayTrust {
  readonly #trusted = new Set<string>();
  readonly #silent = new Set<string>();

  /** `name` answered a request of ours. */
  answered(name: string): void {
    this.#trusted.add(name);
    this.#silent.delete(name);
  }

  /** `name` left a request of ours unanswered; true if it was trusted until now (its silence is news). */
  silent(name: string): boolean {
    this.#silent.add(name);
    return this.#trusted.delete(name);
  }

  /** True if the last request we sent `name` went unanswered. */
  isSilent(name: string): boolean {
    return this.#silent.has(name);
  }

  has(name: string): boolean {
    return this.#trusted.has(name);
  }

  get size(): number {
    return this.#trusted.size;
  }

  /** Forgets members for which `keep` is false (removed from the table, dead or left). */
  prune(keep: (name: string) => boolean): void {
    for (const name of this.#trusted) if (!keep(name)) this.#trusted.delete(name);
    for (const name of this.#silent) if (!keep(name)) this.#silent.delete(name);
  }
}
