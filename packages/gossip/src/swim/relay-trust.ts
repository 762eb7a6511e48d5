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
  /** Members that have answered at least once (while in the table). */
  readonly #heard = new Set<string>();

  /** `name` answered a request of ours. */
  answered(name: string): void {
    this.#trusted.add(name);
    this.#heard.add(name);
    this.#silent.delete(name);
  }

  /** `name` sent us a request from its own address: it exists, though it is not trusted as a relay yet. */
  heard(name: string): void {
    this.#heard.add(name);
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

  /**
   * True if `name` has never answered us (since it entered our table) and left
   * our last request unanswered: it may not exist (a fake "alive" anyone can
   * gossip). A member not tried yet is not unproven, nor one that answered once
   * and then fell silent (crashed).
   */
  isUnproven(name: string): boolean {
    return this.#silent.has(name) && !this.#heard.has(name);
  }

  /** True if `name` has never answered us since it entered our table (tried or not). */
  isUnheard(name: string): boolean {
    return !this.#heard.has(name);
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
    for (const name of this.#heard) if (!keep(name)) this.#heard.delete(name);
  }
}
