import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";
import type { Keyring, KeyringEntry } from "./keyring.js";

/**
 * The sealed form of every packet and stream frame (all integers big-endian):
 *
 *   offset  size  field
 *   0       1     (version << 4) | kind   version 1; kind 1 packet, 2 stream request, 3 stream response
 *   1       4     key id                  which keyring key sealed it (see keyId)
 *   5       8     sender instance id      random per sender process (and per counter epoch)
 *   13      4     counter                 +1 per sealed message of this instance
 *   17      4     sender time             wall clock, seconds since the Unix epoch
 *   21      n     ciphertext              AES-256-GCM of the plaintext (same length)
 *   21+n    16    tag                     GCM authentication tag
 *
 * The GCM nonce is instance id || counter (12 bytes), unique per key as long as
 * instance ids do not collide: 64 random bits, and a fresh id every 2^32
 * messages, so a collision needs ~2^32 instances (birthday bound).
 * The additional data is the 21-byte header, so every header field is
 * authenticated; a response also binds the header of the request it answers.
 * Overhead: 21 + 16 = 37 bytes.
 */
export const ENVELOPE_VERSION = 1;
export const HEADER_BYTES = 21;
export const TAG_BYTES = 16;
export const SEAL_OVERHEAD = HEADER_BYTES + TAG_BYTES;

/** Wire values, append-only: part of the protocol. */
export const SealKind = { Packet: 1, Request: 2, Response: 3 } as const;
export type SealKind = (typeof SealKind)[keyof typeof SealKind];

const INSTANCE_OFFSET = 5;
const COUNTER_OFFSET = 13;
const TIME_OFFSET = 17;
const MAX_COUNTER = 0xffff_ffff;

/**
 * This sender's (instance id, counter) pair. Instance ids come from the OS's
 * CSPRNG, never from the injected Random: a seeded generator would repeat nonces
 * across runs, which breaks GCM outright.
 */
export class NonceSource {
  readonly instance = new Uint8Array(8);
  #counter = 0;

  constructor() {
    randomFillSync(this.instance);
  }

  /** The next counter; starts a new instance id when the 32-bit counter is spent. */
  next(): number {
    if (this.#counter === MAX_COUNTER) {
      randomFillSync(this.instance);
      this.#counter = 0;
    }
    return this.#counter++;
  }
}

/** Seals `plaintext` with the keyring's primary key. `bound` is a request header a response answers. */
export function seal(
  entry: KeyringEntry,
  kind: SealKind,
  nonces: NonceSource,
  timeSec: number,
  plaintext: Uint8Array,
  bound?: Uint8Array,
): Uint8Array {
  const counter = nonces.next();
  const out = Buffer.allocUnsafe(SEAL_OVERHEAD + plaintext.length);
  out[0] = (ENVELOPE_VERSION << 4) | kind;
  out.writeUInt32BE(entry.id, 1);
  out.set(nonces.instance, INSTANCE_OFFSET);
  out.writeUInt32BE(counter, COUNTER_OFFSET);
  out.writeUInt32BE(timeSec >>> 0, TIME_OFFSET);
  const header = out.subarray(0, HEADER_BYTES);
  const cipher = createCipheriv("aes-256-gcm", entry.key, out.subarray(INSTANCE_OFFSET, TIME_OFFSET), {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(bound === undefined ? header : Buffer.concat([header, bound]));
  const body = cipher.update(plaintext);
  cipher.final();
  out.set(body, HEADER_BYTES);
  out.set(cipher.getAuthTag(), HEADER_BYTES + body.length);
  return out;
}

export interface Opened {
  readonly plaintext: Uint8Array;
  /** The authenticated header (a view into the sealed bytes): bind responses to it. */
  readonly header: Uint8Array;
  /** The sender instance id as a map key. */
  readonly instance: string;
  readonly counter: number;
  readonly timeSec: number;
}

export type OpenFailure = "malformed" | "decrypt";

/**
 * Opens a sealed message of the expected kind. Returns the failure reason
 * instead of throwing: "malformed" for anything too short or of another
 * version/kind, "decrypt" for an unknown key id or a failed authentication.
 */
export function open(keyring: Keyring, sealed: Uint8Array, kind: SealKind, bound?: Uint8Array): Opened | OpenFailure {
  if (sealed.length < SEAL_OVERHEAD) return "malformed";
  if (sealed[0] !== ((ENVELOPE_VERSION << 4) | kind)) return "malformed";
  const view = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const entry = keyring.find(view.readUInt32BE(1));
  if (entry === undefined) return "decrypt";
  const header = view.subarray(0, HEADER_BYTES);
  const tagAt = view.length - TAG_BYTES;
  try {
    const decipher = createDecipheriv("aes-256-gcm", entry.key, view.subarray(INSTANCE_OFFSET, TIME_OFFSET), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(bound === undefined ? header : Buffer.concat([header, bound]));
    decipher.setAuthTag(view.subarray(tagAt));
    const plaintext = decipher.update(view.subarray(HEADER_BYTES, tagAt));
    decipher.final(); // throws when the tag does not match: tampered, truncated, or another key
    return {
      plaintext,
      header,
      instance: view.toString("latin1", INSTANCE_OFFSET, COUNTER_OFFSET),
      counter: view.readUInt32BE(COUNTER_OFFSET),
      timeSec: view.readUInt32BE(TIME_OFFSET),
    };
  } catch {
    return "decrypt";
  }
}
