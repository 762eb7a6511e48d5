import { Unpackr } from "msgpackr";
import type { Address } from "../transport/transport.js";
import { WIRE_LIMITS as L } from "./limits.js";
import { MessageType, MetadataKind, WireState } from "./message-type.js";
import type {
  MemberStateEntry,
  MemberStateName,
  Metadata,
  MetadataDigest,
  PacketMessage,
  StreamMessage,
} from "./messages.js";

/** Why an input was dropped; counted by the receiver, never thrown. */
export type DecodeFailure = "oversize" | "malformed" | "unknown-type" | "invalid";

export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: DecodeFailure };

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });

type Failed = { readonly ok: false; readonly reason: DecodeFailure };
const fail = (reason: DecodeFailure): Failed => ({ ok: false, reason });

/** Thrown inside this module only, to unwind a validation; always caught below. */
class Invalid {}
const INVALID = new Invalid();

function str(v: unknown, max: number, min = 1): string {
  if (typeof v !== "string" || v.length < min || v.length > max) throw INVALID;
  return v;
}
function counter(v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw INVALID;
  return v;
}
function port(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) throw INVALID;
  return v;
}
function address(host: unknown, p: unknown): Address {
  return { host: str(host, L.maxHostLength), port: port(p) };
}
function flag(v: unknown): boolean {
  if (v === 0 || v === false) return false;
  if (v === 1 || v === true) return true;
  throw INVALID;
}
function list(v: unknown, max: number): unknown[] {
  if (!Array.isArray(v) || v.length > max) throw INVALID;
  return v;
}
function capabilities(v: unknown): string[] {
  const raw = list(v, L.maxCapabilities);
  const out: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = str(raw[i], L.maxCapabilityLength);
  return out;
}
function tags(v: unknown): Record<string, string> {
  const raw = list(v, L.maxTags * 2);
  if (raw.length % 2 !== 0) throw INVALID;
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const key = str(raw[i], L.maxTagKeyLength);
    // A "__proto__" key would set the prototype of a plain object instead of a property.
    if (key === "__proto__") throw INVALID;
    out[key] = str(raw[i + 1], L.maxTagValueLength, 0);
  }
  return out;
}
function metadata(version: unknown, caps: unknown, flatTags: unknown): Metadata {
  return { version: counter(version), capabilities: capabilities(caps), tags: tags(flatTags) };
}
function tuple(v: unknown, length: number): unknown[] {
  if (!Array.isArray(v) || v.length !== length) throw INVALID;
  return v;
}

function packetMessage(v: unknown): PacketMessage {
  if (!Array.isArray(v) || v.length === 0) throw INVALID;
  const type = v[0];
  switch (type) {
    case MessageType.ping:
      tuple(v, 4);
      return { type, seq: counter(v[1]), target: str(v[2], L.maxNameLength), source: str(v[3], L.maxNameLength) };
    case MessageType.indirectPing:
      tuple(v, 6);
      return {
        type,
        seq: counter(v[1]),
        target: str(v[2], L.maxNameLength),
        targetAddress: address(v[3], v[4]),
        wantNack: flag(v[5]),
      };
    case MessageType.ack:
    case MessageType.nack:
      tuple(v, 2);
      return { type, seq: counter(v[1]) };
    case MessageType.suspect:
    case MessageType.dead:
      tuple(v, 4);
      return { type, name: str(v[1], L.maxNameLength), incarnation: counter(v[2]), from: str(v[3], L.maxNameLength) };
    case MessageType.alive: {
      tuple(v, 9);
      let meta: Metadata | MetadataDigest;
      if (v[5] === MetadataKind.inline) meta = metadata(v[6], v[7], v[8]);
      else if (v[5] === MetadataKind.digest)
        meta = { version: counter(v[6]), digest: str(v[7], 64), size: counter(v[8]) } satisfies MetadataDigest;
      else throw INVALID;
      return {
        type,
        name: str(v[1], L.maxNameLength),
        incarnation: counter(v[2]),
        address: address(v[3], v[4]),
        metadata: meta,
      };
    }
    default:
      throw new UnknownType();
  }
}
class UnknownType {}

function unpack(bytes: Uint8Array, maxBytes: number): Decoded<unknown> {
  if (bytes.length > maxBytes) return fail("oversize");
  // msgpackr throws on truncated or unknown encodings (and RangeError on deep
  // nesting). Under a flood of garbage, capturing a stack trace for each throw
  // is most of the cost, so none is captured here.
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return { ok: true, value: unpackr.unpack(bytes) as unknown };
  } catch {
    return fail("malformed");
  } finally {
    Error.stackTraceLimit = traceLimit;
  }
}

function classify(error: unknown): Failed {
  if (error instanceof UnknownType) return fail("unknown-type");
  return fail("invalid");
}

/**
 * A decoded datagram: its valid messages, and why each invalid part of a
 * compound was dropped (the receiver counts them).
 */
export type DecodedPacket =
  | { readonly ok: true; readonly value: PacketMessage[]; readonly dropped: readonly DecodeFailure[] }
  | Failed;

const NONE: readonly DecodeFailure[] = Object.freeze([]);

/**
 * Decodes a datagram: one message, or a compound of them. Never throws. Each
 * part of a compound is validated on its own: one invalid part (say an
 * out-of-range incarnation) drops only itself, not the pings and acks packed
 * with it. A compound with no valid part fails with the first part's reason.
 */
export function decodePacket(bytes: Uint8Array): DecodedPacket {
  const raw = unpack(bytes, L.maxPacketBytes);
  if (!raw.ok) return raw;
  const v = raw.value;
  if (Array.isArray(v) && v[0] === MessageType.compound) {
    if (v.length < 2 || v.length - 1 > L.maxCompoundMessages) return fail("invalid");
    const out: PacketMessage[] = [];
    let dropped: DecodeFailure[] | undefined;
    for (let i = 1; i < v.length; i++) {
      try {
        out.push(packetMessage(v[i]));
      } catch (error) {
        dropped ??= [];
        dropped.push(classify(error).reason);
      }
    }
    if (out.length === 0) return fail(dropped?.[0] ?? "invalid");
    return { ok: true, value: out, dropped: dropped ?? NONE };
  }
  try {
    return { ok: true, value: [packetMessage(v)], dropped: NONE };
  } catch (error) {
    return classify(error);
  }
}

const stateNames: readonly MemberStateName[] = ["alive", "suspect", "dead", "left"];

function stateEntry(v: unknown): MemberStateEntry {
  const t = tuple(v, 8);
  const state = stateNames[t[4] as number];
  if (typeof t[4] !== "number" || state === undefined || WireState[state] !== t[4]) throw INVALID;
  return {
    name: str(t[0], L.maxNameLength),
    address: address(t[1], t[2]),
    incarnation: counter(t[3]),
    state,
    metadata: metadata(t[5], t[6], t[7]),
  };
}

/** Decodes a stream request or response. Never throws. */
export function decodeStreamMessage(bytes: Uint8Array): Decoded<StreamMessage> {
  const raw = unpack(bytes, L.maxStreamBytes);
  if (!raw.ok) return raw;
  const v = raw.value;
  try {
    if (!Array.isArray(v) || v.length === 0) return fail("invalid");
    const type = v[0];
    switch (type) {
      case MessageType.pushPull:
      case MessageType.pushPullReply: {
        tuple(v, 4);
        const entries = list(v[3], L.maxPushPullMembers);
        const members: MemberStateEntry[] = new Array(entries.length);
        for (let i = 0; i < entries.length; i++) members[i] = stateEntry(entries[i]);
        return { ok: true, value: { type, join: flag(v[1]), from: str(v[2], L.maxNameLength), members } };
      }
      case MessageType.metadataFetch:
        tuple(v, 2);
        return { ok: true, value: { type, name: str(v[1], L.maxNameLength) } };
      case MessageType.metadataReply:
        tuple(v, 6);
        return {
          ok: true,
          value: {
            type,
            name: str(v[1], L.maxNameLength),
            incarnation: counter(v[2]),
            metadata: metadata(v[3], v[4], v[5]),
          },
        };
      case MessageType.streamPing:
        tuple(v, 3);
        return { ok: true, value: { type, seq: counter(v[1]), target: str(v[2], L.maxNameLength) } };
      case MessageType.ack:
        tuple(v, 2);
        return { ok: true, value: { type, seq: counter(v[1]) } };
      default:
        return fail("unknown-type");
    }
  } catch (error) {
    return classify(error);
  }
}
