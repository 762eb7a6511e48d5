import { createHash, hkdfSync } from "node:crypto";
import { invalidArgument } from "@mesh/interface";

/** A shared cluster secret as configured (libcluster's `secret`): a string or raw bytes. */
export type Secret = string | Uint8Array;

/** AES-256-GCM keys are 32 bytes. */
export const KEY_BYTES = 32;

/**
 * What a derived key is for. The same secret yields unrelated keys per purpose,
 * so a discovery announcement can never be fed to the gossip transport (or the
 * reverse) and authenticate.
 */
export type KeyPurpose = "transport" | "discovery";

// A fixed, public salt: HKDF's salt only separates this protocol's keys from any
// other use of the same secret (RFC 5869 §3.1); it is not a per-user secret.
const SALT = new TextEncoder().encode("mesh/gossip/kdf/v1");

/**
 * Derives a 32-byte AES-256-GCM key: HKDF-SHA256(ikm = secret, salt, info = purpose).
 *
 * HKDF is a fast KDF, not a password hash: it adds no work factor, so a short or
 * guessable secret can be brute-forced offline from captured packets. Use a
 * secret with at least 128 bits of entropy (e.g. `openssl rand -base64 24`).
 * The speed is deliberate: every process derives its keys at start, and tests
 * start hundreds of nodes; scrypt/argon2 would only slow those and give a false
 * sense of safety for a cluster-wide shared key.
 */
export function deriveKey(secret: Secret, purpose: KeyPurpose = "transport"): Uint8Array {
  const ikm = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (!(ikm instanceof Uint8Array) || ikm.length === 0) {
    throw invalidArgument("secret", "a non-empty string or Uint8Array", secret);
  }
  return new Uint8Array(hkdfSync("sha256", ikm, SALT, `mesh/gossip/${purpose}/v1`, KEY_BYTES));
}

/**
 * A 32-bit public identifier of a key, sent in every sealed packet so the
 * receiver picks the right key of its keyring without trial decryption:
 * the first 4 bytes of SHA-256("mesh key id" || key). It reveals only whether two
 * packets use the same key, which the traffic pattern shows anyway.
 */
export function keyId(key: Uint8Array): number {
  const digest = createHash("sha256").update("mesh key id").update(key).digest();
  return digest.readUInt32BE(0);
}
