import { type Address, addressKey } from "../transport/transport.js";

/**
 * Addresses this member has heard answer its probes directly (an ack from that
 * very address), least recently heard first, at most `capacity`. Anyone can gossip
 * an alive message naming any address; a stream (TCP) to an address is opened only
 * once it answered, so forged members cannot make a cluster connect to bystanders.
 */
export class AnsweredAddresses {
  readonly #capacity: number;
  readonly #keys = new Map<string, true>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  has(address: Address): boolean {
    return this.#keys.has(addressKey(address));
  }

  add(address: Address): void {
    const key = addressKey(address);
    this.#keys.delete(key);
    this.#keys.set(key, true);
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.keys().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
  }
}
