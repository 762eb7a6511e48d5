import { type ErrorCode, ErrorCodes } from "@mesh/interface";
import { validTraceparent, validTracestate } from "./trace-context.js";

/**
 * The call protocol's messages. On the wire each one is a msgpack array whose
 * first element is its type code. The numeric values are part of the protocol
 * itself: append only, never renumber, never reuse a retired value.
 */
export const MessageType = {
  /**
   * `[1, rid, module, id, capability, payload, initArg, timeoutMs, chain, hops]`, then, only
   * for a traced call, `traceparent` and, if there is one, `tracestate` (W3C Trace Context;
   * see trace-context.ts). An untraced call is the ten elements alone. A node older than
   * these two fields refuses a traced call as an invalid message: trace a mixed cluster
   * only once every node has them.
   */
  Call: 1,
  /** `[2, module, id, capability, payload, initArg, chain, hops]` */
  Cast: 2,
  /** `[3, rid, value]` — the call succeeded. */
  Reply: 3,
  /** `[4, rid, code, message, details]` — the call failed with a MeshError code. */
  Failure: 4,
  /** `[5, rid]` — the caller gave up (abort or timeout); the callee may drop the work. */
  Cancel: 5,
  /**
   * `[6, version]` — the first frame of every connection, from the caller. The
   * callee buffers nothing large before it: until a hello arrives (and, with a
   * cipher, opens) the frame limit is tiny and the clock is short.
   */
  Hello: 6,
  /** `[7]` — the caller checks that a quiet connection still carries bytes. */
  Ping: 7,
  /** `[8]` — the callee's answer to a ping. */
  Pong: 8,
} as const;

/** The call protocol's version, carried in the hello. */
export const PROTOCOL_VERSION = 1;

/** Request ids are uint32 (compact in msgpack) and wrap; the in-flight limit keeps live ids far apart. */
export const MAX_RID = 0xffff_ffff;
/** A call chain longer than this is a loop or an attack, not a real call path. */
export const MAX_CHAIN_LENGTH = 64;
export const MAX_HOPS = 255;

export interface CallMessage {
  readonly type: typeof MessageType.Call;
  readonly rid: number;
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly payload: unknown;
  readonly initArg: unknown;
  /** Time left for the call when it was sent, in ms: relative, because clocks differ between hosts. */
  readonly timeoutMs: number;
  readonly chain: readonly string[];
  readonly hops: number;
  /** The caller's W3C traceparent, when valid; a malformed one reads as undefined. */
  readonly traceparent: string | undefined;
  /** The caller's W3C tracestate, when valid and the traceparent is. */
  readonly tracestate: string | undefined;
}

export interface CastMessage {
  readonly type: typeof MessageType.Cast;
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly payload: unknown;
  readonly initArg: unknown;
  readonly chain: readonly string[];
  readonly hops: number;
}

export interface ReplyMessage {
  readonly type: typeof MessageType.Reply;
  readonly rid: number;
  readonly value: unknown;
}

export interface FailureMessage {
  readonly type: typeof MessageType.Failure;
  readonly rid: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;
}

export interface CancelMessage {
  readonly type: typeof MessageType.Cancel;
  readonly rid: number;
}

export interface HelloMessage {
  readonly type: typeof MessageType.Hello;
  readonly version: number;
}

export interface PingMessage {
  readonly type: typeof MessageType.Ping;
}

export interface PongMessage {
  readonly type: typeof MessageType.Pong;
}

export type WireMessage =
  | CallMessage
  | CastMessage
  | ReplyMessage
  | FailureMessage
  | CancelMessage
  | HelloMessage
  | PingMessage
  | PongMessage;

// Builders take positional arguments, not a message object: they run once per call and
// an intermediate object would be garbage the moment the array exists.

export function callToWire(
  rid: number,
  module: string,
  id: string,
  capability: string,
  payload: unknown,
  initArg: unknown,
  timeoutMs: number,
  chain: readonly string[],
  hops: number,
  traceparent?: string,
  tracestate?: string,
): unknown[] {
  // Untraced calls keep the ten-element frame: no absent fields to encode on the common path.
  if (traceparent === undefined) {
    return [MessageType.Call, rid, module, id, capability, payload, initArg, timeoutMs, chain, hops];
  }
  if (tracestate === undefined) {
    return [MessageType.Call, rid, module, id, capability, payload, initArg, timeoutMs, chain, hops, traceparent];
  }
  return [
    MessageType.Call,
    rid,
    module,
    id,
    capability,
    payload,
    initArg,
    timeoutMs,
    chain,
    hops,
    traceparent,
    tracestate,
  ];
}

export function castToWire(
  module: string,
  id: string,
  capability: string,
  payload: unknown,
  initArg: unknown,
  chain: readonly string[],
  hops: number,
): unknown[] {
  return [MessageType.Cast, module, id, capability, payload, initArg, chain, hops];
}

export function replyToWire(rid: number, value: unknown): unknown[] {
  return [MessageType.Reply, rid, value];
}

export function failureToWire(
  rid: number,
  code: ErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>> | undefined,
): unknown[] {
  return [MessageType.Failure, rid, code, message, details];
}

export function cancelToWire(rid: number): unknown[] {
  return [MessageType.Cancel, rid];
}

export function helloToWire(): unknown[] {
  return [MessageType.Hello, PROTOCOL_VERSION];
}

export function pingToWire(): unknown[] {
  return [MessageType.Ping];
}

export function pongToWire(): unknown[] {
  return [MessageType.Pong];
}

/** A call request as it arrives: the wire array itself, once `isWireCall` passed. */
export type WireCall = [
  type: typeof MessageType.Call,
  rid: number,
  module: string,
  id: string,
  capability: string,
  payload: unknown,
  initArg: unknown,
  timeoutMs: number,
  chain: string[],
  hops: number,
  /** Unchecked here: read through `traceparentOf` and `tracestateOf` (a malformed value means untraced, not a bad frame). */
  traceparent?: unknown,
  tracestate?: unknown,
];

/** A success reply as it arrives, once `isWireReply` passed. */
export type WireReply = [type: typeof MessageType.Reply, rid: number, value: unknown];

/**
 * Validates a call request in place. The server's hot path reads the fields
 * straight from the array (no intermediate message object per call).
 */
export function isWireCall(raw: unknown): raw is WireCall {
  if (!Array.isArray(raw) || raw.length < 10 || raw.length > 12 || raw[0] !== MessageType.Call) return false;
  // Index reads, not destructuring: this runs once per call and array destructuring goes through the iterator.
  const timeoutMs: unknown = raw[7];
  return (
    isRid(raw[1]) &&
    typeof raw[2] === "string" &&
    typeof raw[3] === "string" &&
    typeof raw[4] === "string" &&
    typeof timeoutMs === "number" &&
    Number.isFinite(timeoutMs) &&
    isChain(raw[8]) &&
    isHops(raw[9])
  );
}

/** Validates a success reply in place (the client's hot path). */
export function isWireReply(raw: unknown): raw is WireReply {
  return Array.isArray(raw) && raw.length === 3 && raw[0] === MessageType.Reply && isRid(raw[1]);
}

/**
 * Checks every field of a decoded frame and returns the typed message, or
 * `undefined` when anything is off (wrong arity, type, range, or an unknown
 * type or error code). Nothing from the network is used before this passes.
 */
export function decodeMessage(raw: unknown): WireMessage | undefined {
  if (!Array.isArray(raw)) return undefined;
  switch (raw[0]) {
    case MessageType.Call: {
      if (!isWireCall(raw)) return undefined;
      const traceparent = traceparentOf(raw);
      return {
        type: MessageType.Call,
        rid: raw[1],
        module: raw[2],
        id: raw[3],
        capability: raw[4],
        payload: raw[5],
        initArg: raw[6],
        timeoutMs: raw[7],
        chain: raw[8],
        hops: raw[9],
        traceparent,
        tracestate: tracestateOf(raw, traceparent),
      };
    }
    case MessageType.Cast: {
      if (raw.length !== 8) return undefined;
      const module: unknown = raw[1];
      const id: unknown = raw[2];
      const capability: unknown = raw[3];
      const chain: unknown = raw[6];
      const hops: unknown = raw[7];
      if (!isString(module) || !isString(id) || !isString(capability)) return undefined;
      if (!isChain(chain) || !isHops(hops)) return undefined;
      return { type: MessageType.Cast, module, id, capability, payload: raw[4], initArg: raw[5], chain, hops };
    }
    case MessageType.Reply: {
      if (!isWireReply(raw)) return undefined;
      return { type: MessageType.Reply, rid: raw[1], value: raw[2] };
    }
    case MessageType.Failure: {
      if (raw.length !== 5) return undefined;
      const rid: unknown = raw[1];
      const code: unknown = raw[2];
      const message: unknown = raw[3];
      const details: unknown = raw[4];
      if (!isRid(rid) || !isErrorCode(code) || !isString(message)) return undefined;
      let record: Record<string, unknown> | undefined;
      if (isPlainRecord(details)) record = details;
      else if (details !== undefined && details !== null) return undefined;
      return { type: MessageType.Failure, rid, code, message, details: record };
    }
    case MessageType.Cancel: {
      const rid: unknown = raw[1];
      if (raw.length !== 2 || !isRid(rid)) return undefined;
      return { type: MessageType.Cancel, rid };
    }
    case MessageType.Hello: {
      const version: unknown = raw[1];
      if (raw.length !== 2 || version !== PROTOCOL_VERSION) return undefined;
      return { type: MessageType.Hello, version };
    }
    case MessageType.Ping:
      return raw.length === 1 ? { type: MessageType.Ping } : undefined;
    case MessageType.Pong:
      return raw.length === 1 ? { type: MessageType.Pong } : undefined;
    default:
      return undefined;
  }
}

/** The frame's traceparent if it carries a valid one. */
export function traceparentOf(call: WireCall): string | undefined {
  return call.length > 10 ? validTraceparent(call[10]) : undefined;
}

/** The frame's tracestate if it carries a valid one beside a valid traceparent (`traceparentOf`'s answer). */
export function tracestateOf(call: WireCall, traceparent: string | undefined): string | undefined {
  return call.length > 11 && traceparent !== undefined ? validTracestate(call[11]) : undefined;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isRid(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_RID;
}

function isHops(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_HOPS;
}

function isChain(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length > MAX_CHAIN_LENGTH) return false;
  for (const link of value) if (typeof link !== "string") return false;
  return true;
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ErrorCodes, value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}
