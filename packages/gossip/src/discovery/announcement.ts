import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";
import { isIP } from "node:net";
import type { Address } from "../transport/transport.js";

/**
 * A multicast announcement: "member `name` gossips at host:port". Format (big-endian):
 *
 *   0   4  magic "MSHD"
 *   4   1  (version 1 << 4) | sealed flag (1 = sealed)
 *   then, plain:   body
 *   or sealed:     12-byte random nonce, AES-256-GCM(body), 16-byte tag; the 5 bytes above are the AAD
 *   body: u8 name length, name (UTF-8, 1..255 bytes), u8 host length, host (an IP literal), u16 port
 *
 * Random nonces are safe here: a node announces every few seconds, far below the
 * 2^32 messages per key that random 96-bit GCM nonces allow.
 */
export interface Announcement {
  readonly name: string;
  readonly address: Address;
}

const MAGIC = [0x4d, 0x53, 0x48, 0x44]; // "MSHD"
const VERSION = 1;
const PREFIX_BYTES = 5;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export type DecodeFailure = "malformed" | "decrypt" | "sealed" | "unsealed";

export function encodeAnnouncement(announcement: Announcement, key: Uint8Array | undefined): Uint8Array {
  const body = encodeBody(announcement);
  const prefix = Uint8Array.of(...MAGIC, (VERSION << 4) | (key === undefined ? 0 : 1));
  if (key === undefined) return Buffer.concat([prefix, body]);
  const nonce = randomFillSync(new Uint8Array(NONCE_BYTES));
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(prefix);
  const sealed = Buffer.concat([cipher.update(body), cipher.final()]);
  return Buffer.concat([prefix, nonce, sealed, cipher.getAuthTag()]);
}

/** Decodes and validates; never throws. `key` undefined means this cluster has no secret. */
export function decodeAnnouncement(packet: Uint8Array, key: Uint8Array | undefined): Announcement | DecodeFailure {
  if (packet.length < PREFIX_BYTES) return "malformed";
  for (let i = 0; i < MAGIC.length; i++) if (packet[i] !== MAGIC[i]) return "malformed";
  const flags = packet[4] as number;
  if (flags >> 4 !== VERSION || (flags & 0x0f) > 1) return "malformed";
  const sealed = (flags & 1) === 1;
  // Clusters with and without a secret never mix: each side drops the other's announcements.
  if (sealed && key === undefined) return "sealed";
  if (!sealed && key !== undefined) return "unsealed";
  if (!sealed) return decodeBody(packet.subarray(PREFIX_BYTES));
  if (key === undefined || packet.length < PREFIX_BYTES + NONCE_BYTES + TAG_BYTES) return "malformed";
  try {
    const nonce = packet.subarray(PREFIX_BYTES, PREFIX_BYTES + NONCE_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(packet.subarray(0, PREFIX_BYTES));
    decipher.setAuthTag(packet.subarray(packet.length - TAG_BYTES));
    const body = decipher.update(packet.subarray(PREFIX_BYTES + NONCE_BYTES, packet.length - TAG_BYTES));
    decipher.final();
    return decodeBody(body);
  } catch {
    return "decrypt";
  }
}

function encodeBody({ name, address }: Announcement): Uint8Array {
  const nameBytes = encoder.encode(name);
  const hostBytes = encoder.encode(address.host);
  const body = new Uint8Array(1 + nameBytes.length + 1 + hostBytes.length + 2);
  let at = 0;
  body[at++] = nameBytes.length;
  body.set(nameBytes, at);
  at += nameBytes.length;
  body[at++] = hostBytes.length;
  body.set(hostBytes, at);
  at += hostBytes.length;
  body[at++] = address.port >>> 8;
  body[at] = address.port & 0xff;
  return body;
}

function decodeBody(body: Uint8Array): Announcement | DecodeFailure {
  let at = 0;
  const nameLength = body[at++];
  if (nameLength === undefined || nameLength === 0 || at + nameLength > body.length) return "malformed";
  const nameBytes = body.subarray(at, at + nameLength);
  at += nameLength;
  const hostLength = body[at++];
  if (hostLength === undefined || hostLength === 0 || at + hostLength + 2 !== body.length) return "malformed";
  const hostBytes = body.subarray(at, at + hostLength);
  at += hostLength;
  const port = ((body[at] as number) << 8) | (body[at + 1] as number);
  let name: string;
  let host: string;
  try {
    name = decoder.decode(nameBytes);
    host = decoder.decode(hostBytes);
  } catch {
    return "malformed";
  }
  if (isIP(host) === 0 || port === 0) return "malformed";
  return { name, address: { host, port } };
}

/** Whether a name and address can be announced (checked at start, so encoding never fails later). */
export function announceable(announcement: Announcement): string | undefined {
  const nameLength = encoder.encode(announcement.name).length;
  if (nameLength === 0 || nameLength > 255) return "name must be 1..255 bytes of UTF-8";
  if (isIP(announcement.address.host) === 0) return "address.host must be an IP literal";
  const port = announcement.address.port;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return "address.port must be in 1..65535";
  return undefined;
}
