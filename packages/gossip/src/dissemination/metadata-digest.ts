import { createHash } from "node:crypto";
import { encodeMetadata } from "../wire/encode.js";
import type { Metadata, MetadataDigest } from "../wire/messages.js";

const cache = new WeakMap<Metadata, { readonly size: number; readonly digest: string }>();

function measure(metadata: Metadata): { readonly size: number; readonly digest: string } {
  let m = cache.get(metadata);
  if (m === undefined) {
    const bytes = encodeMetadata(metadata);
    // 128 bits of SHA-256: a collision would need an attacker inside the cluster's secret.
    m = { size: bytes.length, digest: createHash("sha256").update(bytes).digest("hex").slice(0, 32) };
    cache.set(metadata, m);
  }
  return m;
}

export function metadataDigest(metadata: Metadata): MetadataDigest {
  const m = measure(metadata);
  return { version: metadata.version, digest: m.digest, size: m.size };
}

/** Encoded size of a metadata set: above the inline limit it travels as a digest. */
export function metadataSize(metadata: Metadata): number {
  return measure(metadata).size;
}
