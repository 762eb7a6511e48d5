import { invalidArgument, type Logger, MeshError, noopLogger } from "@mesh/interface";
import { DropLog } from "../drop-log.js";
import {
  type Address,
  addressKey,
  countDrop,
  type PacketHandler,
  type StreamHandler,
  StreamRefusedError,
  type Transport,
  type TransportStats,
} from "../transport/transport.js";
import { HEADER_BYTES, NonceSource, type Opened, open, SEAL_OVERHEAD, SealKind, seal } from "./envelope.js";
import type { Keyring } from "./keyring.js";
import { ReplayGuard } from "./replay-guard.js";

/**
 * Kerberos's classic clock-skew allowance: wide enough for hosts whose NTP
 * drifted, narrow enough that a captured packet cannot be replayed later to a
 * node that has forgotten (restart, eviction) its sender's replay window.
 */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Reordering tolerated per sender, in messages; UDP on a LAN reorders a handful at most. */
export const DEFAULT_REPLAY_WINDOW = 1024;
/** Sender instances remembered (128 bytes each): members times restarts, with a wide margin. */
export const DEFAULT_MAX_SENDERS = 4096;

export interface SecureTransportInit {
  /** Largest |receiver wall time - sender wall time| accepted, in ms; older or newer is "stale". @default 300000 */
  readonly maxClockSkewMs?: number;
  /** Messages per sender the anti-replay window spans. @default 1024 */
  readonly replayWindow?: number;
  /** Sender instances whose replay windows are kept (least recently heard forgotten first). @default 4096 */
  readonly maxSenders?: number;
}

export interface SecureTransportComponents {
  /** Wall time in ms since the Unix epoch, for the freshness check. @default Date.now */
  readonly wallClock?: () => number;
  readonly logger?: Logger;
}

const systemWallClock = (): number => Date.now();

/**
 * Wraps any Transport so that every packet and every stream frame (request and
 * response) is sealed with AES-256-GCM under the keyring's primary key (format:
 * `envelope.ts`). Input that is truncated or of another format ("malformed"),
 * fails authentication ("decrypt"), carries a time outside the skew window
 * ("stale") or repeats a (sender, counter) pair ("replay") is dropped and counted.
 *
 * Streams: a request is checked against a per-sender window of its own; a
 * response authenticates only together with the header of the request it
 * answers (its nonce and direction), so a response cannot be replayed into another
 * exchange nor a request reflected back as a response.
 */
export function secureTransport(
  inner: Transport,
  keyring: Keyring,
  components: SecureTransportComponents = {},
  init: SecureTransportInit = {},
): Transport {
  const maxClockSkewMs = init.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (!(maxClockSkewMs > 0))
    throw invalidArgument("maxClockSkewMs", "a positive number (Infinity disables)", maxClockSkewMs);
  const replayWindow = init.replayWindow ?? DEFAULT_REPLAY_WINDOW;
  if (!Number.isInteger(replayWindow) || replayWindow < 32 || replayWindow > 65_536) {
    throw invalidArgument("replayWindow", "an integer in [32, 65536]", replayWindow);
  }
  const maxSenders = init.maxSenders ?? DEFAULT_MAX_SENDERS;
  if (!Number.isInteger(maxSenders) || maxSenders < 1)
    throw invalidArgument("maxSenders", "a positive integer", maxSenders);
  if (inner.maxPacketSize <= SEAL_OVERHEAD) {
    throw invalidArgument("inner.maxPacketSize", `more than ${SEAL_OVERHEAD} bytes`, inner.maxPacketSize);
  }
  const wallClock = components.wallClock ?? systemWallClock;
  const logger = components.logger ?? noopLogger;
  // A wrong secret used to leave no trace: every drop is counted, and logged as a rate-limited summary.
  const dropLog = new DropLog(logger, wallClock, "secure transport dropped input");
  const nonces = new NonceSource();
  const packetReplays = new ReplayGuard(replayWindow, maxSenders);
  const requestReplays = new ReplayGuard(replayWindow, maxSenders);
  const drops: TransportStats = {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    dropped: {},
  };
  const maxSkewSec = maxClockSkewMs / 1000;
  const nowSec = (): number => Math.floor(wallClock() / 1000);

  /** Opens, then checks freshness and replay — only once the message authenticated. Returns a drop reason or the message. */
  const accept = (data: Uint8Array, kind: SealKind, replays?: ReplayGuard, bound?: Uint8Array): Opened | string => {
    const opened = open(keyring, data, kind, bound);
    if (typeof opened === "string") return opened;
    if (Math.abs(nowSec() - opened.timeSec) > maxSkewSec) return "stale";
    if (replays !== undefined && !replays.accept(opened.instance, opened.counter)) return "replay";
    return opened;
  };

  const receivePacket =
    (handler: PacketHandler): PacketHandler =>
    (data, from) => {
      const opened = accept(data, SealKind.Packet, packetReplays);
      if (typeof opened === "string") {
        countDrop(drops, opened);
        dropLog.note(opened, { kind: "packet", from: addressKey(from) });
        return;
      }
      handler(opened.plaintext, from);
    };

  const receiveStream =
    (handler: StreamHandler): StreamHandler =>
    async (data, from) => {
      const opened = accept(data, SealKind.Request, requestReplays);
      if (typeof opened === "string") {
        countDrop(drops, opened);
        dropLog.note(opened, { kind: "stream", from: addressKey(from) });
        // Closes this stream without a response: the peer learns nothing.
        throw new StreamRefusedError(opened);
      }
      const response = await handler(opened.plaintext, from);
      return seal(keyring.primary, SealKind.Response, nonces, nowSec(), response, opened.header);
    };

  return {
    get localAddress(): Address {
      return inner.localAddress;
    },
    maxPacketSize: inner.maxPacketSize - SEAL_OVERHEAD,

    sendPacket(to, packet) {
      if (packet.length > inner.maxPacketSize - SEAL_OVERHEAD) {
        countDrop(drops, "send-oversize");
        return;
      }
      inner.sendPacket(to, seal(keyring.primary, SealKind.Packet, nonces, nowSec(), packet));
    },

    async request(to, payload, options) {
      const sealed = seal(keyring.primary, SealKind.Request, nonces, nowSec(), payload);
      const response = await inner.request(to, sealed, options);
      // No replay window for responses: binding to this request's unique header already makes them fresh.
      const opened = accept(response, SealKind.Response, undefined, sealed.subarray(0, HEADER_BYTES));
      if (typeof opened === "string") {
        countDrop(drops, opened);
        dropLog.note(opened, { kind: "response", from: addressKey(to) });
        throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `response from ${addressKey(to)} rejected (${opened})`, {
          details: { address: addressKey(to), reason: opened },
        });
      }
      return opened.plaintext;
    },

    setHandlers(handlers) {
      inner.setHandlers({ packet: receivePacket(handlers.packet), stream: receiveStream(handlers.stream) });
    },
    start: () => inner.start(),
    stop: () => inner.stop(),

    stats() {
      const stats = inner.stats();
      const dropped = { ...stats.dropped };
      for (const [reason, n] of Object.entries(drops.dropped)) dropped[reason] = (dropped[reason] ?? 0) + n;
      return { ...stats, dropped };
    },
  };
}
