import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { deriveKey, ReplayWindow, type Secret } from "@mesh/gossip";
import type { FrameCipher } from "./call-transport/index.js";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** sender instance (8) + counter (8, of which 6 used) + wall time ms (8). */
const HEADER_BYTES = 24;
/** Frames from one sender may interleave across its connections; a batch per tick can hold thousands. */
const REPLAY_WINDOW = 65_536;
const MAX_SENDERS = 1024;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Seals call frames with AES-256-GCM under a key derived from the cluster secret
 * (HKDF of the gossip transport key, so the two never share a key stream).
 * Layout: nonce(12) | ciphertext of [sender(8) | counter(8) | wall ms(8) | body] | tag(16).
 * A frame that fails authentication, is older or newer than the skew window, or
 * repeats a (sender, counter) pair does not open, and the transport drops the
 * connection — so a recorded connection cannot be replayed to run calls twice.
 */
export function secretFrameCipher(secret: Secret, wallClock: () => number = Date.now): FrameCipher {
  const key = Buffer.from(hkdfSync("sha256", deriveKey(secret, "transport"), "", "mesh/calls/v1", 32));
  const sender = randomBytes(8);
  let counter = 0;
  const windows = new Map<string, ReplayWindow>();

  const accept = (senderId: string, count: number): boolean => {
    let window = windows.get(senderId);
    if (window === undefined) {
      if (windows.size >= MAX_SENDERS) windows.delete(windows.keys().next().value as string);
      window = new ReplayWindow(REPLAY_WINDOW);
      windows.set(senderId, window);
    }
    if (!window.check(count)) return false;
    window.commit(count);
    return true;
  };

  return {
    seal(plain) {
      const nonce = randomBytes(NONCE_BYTES);
      const header = Buffer.allocUnsafe(HEADER_BYTES);
      sender.copy(header, 0);
      header.writeBigUInt64BE(BigInt(counter++), 8);
      header.writeBigUInt64BE(BigInt(Math.floor(wallClock())), 16);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      const body = Buffer.concat([
        nonce,
        cipher.update(header),
        cipher.update(plain),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return body;
    },
    open(sealed) {
      if (sealed.length < NONCE_BYTES + HEADER_BYTES + TAG_BYTES) return undefined;
      const buffer = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, buffer.subarray(0, NONCE_BYTES));
        decipher.setAuthTag(buffer.subarray(buffer.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(buffer.subarray(NONCE_BYTES, buffer.length - TAG_BYTES)),
          decipher.final(),
        ]);
        const sentAt = Number(plain.readBigUInt64BE(16));
        if (Math.abs(wallClock() - sentAt) > MAX_CLOCK_SKEW_MS) return undefined;
        if (!accept(plain.subarray(0, 8).toString("hex"), Number(plain.readBigUInt64BE(8)))) return undefined;
        return plain.subarray(HEADER_BYTES);
      } catch {
        return undefined;
      }
    },
  };
}
