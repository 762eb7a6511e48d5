import { MessageType } from "./message-type.js";

/**
 * Bytes a compound packet adds around `count` encoded messages: the msgpack array
 * header (1 byte up to 15 elements, 3 bytes up to 65535) plus the type code byte.
 */
export function compoundOverhead(count: number): number {
  return (count + 1 < 16 ? 1 : 3) + 1;
}

/**
 * Joins already-encoded messages into one datagram, [8, m1, m2, …], without
 * re-encoding them: a msgpack array is its header followed by its elements.
 * A single message is sent as itself (no compound wrapper).
 */
export function packCompound(messages: readonly Uint8Array[]): Uint8Array {
  if (messages.length === 1) return messages[0] as Uint8Array;
  const count = messages.length + 1;
  let size = compoundOverhead(messages.length);
  for (const m of messages) size += m.length;
  const out = new Uint8Array(size);
  let at = 0;
  if (count < 16) {
    out[at++] = 0x90 | count;
  } else {
    out[at++] = 0xdc;
    out[at++] = count >> 8;
    out[at++] = count & 0xff;
  }
  out[at++] = MessageType.compound;
  for (const m of messages) {
    out.set(m, at);
    at += m.length;
  }
  return out;
}
