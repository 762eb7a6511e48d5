import { createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { invalidArgument } from "@mesh/interface";
import { deriveKey, KEY_BYTES, type KeyPurpose, keyId, type Secret } from "./key-derivation.js";

/** One key of a keyring, prepared for the cipher. */
export interface KeyringEntry {
  readonly id: number;
  readonly key: KeyObject;
  readonly bytes: Uint8Array;
}

/**
 * The keys a node accepts, as in memberlist: the primary key seals everything
 * sent; every installed key (primary included) opens what arrives. Rotation
 * without downtime, in three cluster-wide steps:
 *   1. `addKey(new)` on every node — all now accept both keys;
 *   2. `useKey(new)` on every node — all now send with the new key, and nodes
 *      not yet switched still accept it (step 1);
 *   3. `removeKey(old)` on every node.
 * Changes take effect on the next packet; a transport holding this keyring needs
 * no restart.
 */
export class Keyring {
  #primary: KeyringEntry;
  readonly #byId = new Map<number, KeyringEntry>();

  constructor(primaryKey: Uint8Array, otherKeys: readonly Uint8Array[] = []) {
    this.#primary = this.#install(primaryKey, "primaryKey");
    for (const [i, key] of otherKeys.entries()) this.#install(key, `otherKeys[${i}]`);
  }

  /** A keyring with the one key derived from `secret` (see `deriveKey`). */
  static fromSecret(secret: Secret, purpose: KeyPurpose = "transport"): Keyring {
    return new Keyring(deriveKey(secret, purpose));
  }

  /** The key that seals outgoing data. */
  get primary(): KeyringEntry {
    return this.#primary;
  }

  /** The installed key with this id, if any (receive path). */
  find(id: number): KeyringEntry | undefined {
    return this.#byId.get(id);
  }

  /** Installs a key for decryption; installing one already present does nothing. */
  addKey(key: Uint8Array): void {
    this.#install(key, "key");
  }

  /** Makes an installed key the primary (it must have been added first, on every node). */
  useKey(key: Uint8Array): void {
    const entry = this.#lookup(key);
    if (entry === undefined) throw invalidArgument("key", "a key installed with addKey", "a key not in the keyring");
    this.#primary = entry;
  }

  /** Removes a key; the primary key cannot be removed (switch first with `useKey`). */
  removeKey(key: Uint8Array): void {
    const entry = this.#lookup(key);
    if (entry === undefined) return;
    if (entry === this.#primary) throw invalidArgument("key", "a key other than the primary", "the primary key");
    this.#byId.delete(entry.id);
  }

  /** Copies of every installed key, primary first. */
  keys(): Uint8Array[] {
    const rest = [...this.#byId.values()].filter((e) => e !== this.#primary);
    return [this.#primary, ...rest].map((e) => new Uint8Array(e.bytes));
  }

  get size(): number {
    return this.#byId.size;
  }

  #lookup(key: Uint8Array): KeyringEntry | undefined {
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) return undefined;
    const entry = this.#byId.get(keyId(key));
    return entry !== undefined && timingSafeEqual(entry.bytes, key) ? entry : undefined;
  }

  #install(key: Uint8Array, property: string): KeyringEntry {
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      throw invalidArgument(property, `a Uint8Array of ${KEY_BYTES} bytes`, key);
    }
    const id = keyId(key);
    const existing = this.#byId.get(id);
    if (existing !== undefined) {
      if (timingSafeEqual(existing.bytes, key)) return existing;
      // Two different keys sharing a 32-bit id: about one chance in 4 billion; refuse rather than guess.
      throw invalidArgument(property, "a key whose id differs from every installed key", "a colliding key");
    }
    const bytes = new Uint8Array(key);
    const entry: KeyringEntry = Object.freeze({ id, key: createSecretKey(bytes), bytes });
    this.#byId.set(id, entry);
    return entry;
  }
}
