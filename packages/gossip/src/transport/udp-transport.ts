import type dgram from "node:dgram";
import type net from "node:net";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import {
  type Clock,
  invalidArgument,
  type Logger,
  MeshError,
  noopLogger,
  systemClock,
  throwIfAborted,
} from "@mesh/interface";
import { bindSockets } from "./bind-sockets.js";
import { streamRequest } from "./stream-client.js";
import { serveStream } from "./stream-server.js";
import {
  type Address,
  countDrop,
  emptyTransportStats,
  type PacketHandler,
  type StreamHandler,
  type StreamRequestOptions,
  type Transport,
  type TransportStats,
} from "./transport.js";

/** memberlist's port: a well-known default for the gossip endpoint (0 asks the kernel for a free one). */
export const DEFAULT_GOSSIP_PORT = 7946;
export const DEFAULT_GOSSIP_HOST = "0.0.0.0";
/** Fits an Ethernet MTU (1500) minus IP/UDP headers with room for tunnels: no fragmentation on a LAN. */
export const DEFAULT_MAX_PACKET_SIZE = 1400;
/** A full-state push-pull of a few thousand members with capabilities fits easily; larger is a bug or an attack. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** A peer that connected must send its request promptly; a silent connection only holds resources. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 10_000;
/** Push-pull is periodic and rare; more concurrent inbound streams than this is a flood. */
export const DEFAULT_MAX_INBOUND_STREAMS = 64;
/** With an ephemeral port, the UDP port may be taken for TCP by someone else; a few tries find a free pair. */
export const DEFAULT_BIND_ATTEMPTS = 5;
/** The largest UDP payload over IPv4. */
const MAX_UDP_PAYLOAD = 65_507;

export interface UdpTransportInit {
  /** IP literal to bind UDP and TCP to. @default "0.0.0.0" */
  readonly host?: string;
  /** Port for both UDP and TCP; 0 binds an ephemeral port. @default 7946 */
  readonly port?: number;
  /**
   * The host other members use to reach this one. @default `host`, or when `host` is a
   * wildcard the first non-internal IPv4 address of this machine (127.0.0.1 if none).
   */
  readonly advertiseHost?: string;
  /** Largest datagram sent or accepted, in bytes. @default 1400 */
  readonly maxPacketSize?: number;
  /** Largest stream frame sent or accepted, in bytes; a larger prefix drops the connection. @default 16 MiB */
  readonly maxFrameBytes?: number;
  /** Time an inbound connection has to deliver its request frame, in ms. @default 10000 */
  readonly streamIdleTimeoutMs?: number;
  /** Inbound connections served at once; more are refused and counted. @default 64 */
  readonly maxInboundStreams?: number;
  /** Tries to find a port free for both UDP and TCP when `port` is 0. @default 5 */
  readonly bindAttempts?: number;
}

export interface UdpTransportComponents {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface UdpTransportConfig {
  readonly host: string;
  readonly port: number;
  readonly advertiseHost: string;
  readonly maxPacketSize: number;
  readonly maxFrameBytes: number;
  readonly streamIdleTimeoutMs: number;
  readonly maxInboundStreams: number;
  readonly bindAttempts: number;
}

export function udpTransportConfig(init: UdpTransportInit = {}): UdpTransportConfig {
  const host = init.host ?? DEFAULT_GOSSIP_HOST;
  if (typeof host !== "string" || isIP(host) === 0) throw invalidArgument("host", "an IP address literal", host);
  const advertiseHost = init.advertiseHost ?? defaultAdvertiseHost(host);
  if (typeof advertiseHost !== "string" || advertiseHost.length === 0) {
    throw invalidArgument("advertiseHost", "a non-empty host", advertiseHost);
  }
  return Object.freeze({
    host,
    port: integer("port", init.port ?? DEFAULT_GOSSIP_PORT, 0, 65_535),
    advertiseHost,
    maxPacketSize: integer("maxPacketSize", init.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE, 64, MAX_UDP_PAYLOAD),
    maxFrameBytes: integer("maxFrameBytes", init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 1, 0xffff_ffff),
    streamIdleTimeoutMs: integer("streamIdleTimeoutMs", init.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS, 1),
    maxInboundStreams: integer("maxInboundStreams", init.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS, 1),
    bindAttempts: integer("bindAttempts", init.bindAttempts ?? DEFAULT_BIND_ATTEMPTS, 1, 100),
  });
}

/**
 * The real network: one UDP socket for packets and one TCP server for streams, on
 * the same port. See `stream-client.ts` for the one-exchange-per-connection rule.
 */
export function createUdpTransport(init: UdpTransportInit = {}, components: UdpTransportComponents = {}): Transport {
  const config = udpTransportConfig(init);
  const clock = components.clock ?? systemClock;
  const logger = components.logger ?? noopLogger;
  const stats = emptyTransportStats();
  const inbound = new Set<net.Socket>();
  const outbound = new Map<net.Socket, (error: MeshError) => void>();
  let packetHandler: PacketHandler | undefined;
  let streamHandler: StreamHandler | undefined;
  let udp: dgram.Socket | undefined;
  let tcp: net.Server | undefined;
  let boundPort = config.port;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const onMessage = (message: Buffer, rinfo: dgram.RemoteInfo): void => {
    stats.packetsReceived++;
    stats.bytesReceived += message.length;
    if (message.length > config.maxPacketSize) {
      countDrop(stats, "oversize");
      return;
    }
    if (packetHandler === undefined) {
      countDrop(stats, "no-handler");
      return;
    }
    try {
      packetHandler(message, { host: rinfo.address, port: rinfo.port });
    } catch (error) {
      // The receive path never throws: a handler bug costs one packet, not the socket.
      countDrop(stats, "handler-error");
      logger.warn("packet handler threw", { error: String(error) });
    }
  };

  const transport: Transport = {
    get localAddress(): Address {
      return { host: config.advertiseHost, port: boundPort };
    },
    maxPacketSize: config.maxPacketSize,

    sendPacket(to, packet) {
      if (udp === undefined || stopping !== undefined) {
        countDrop(stats, "send-stopped");
        return;
      }
      if (packet.length > config.maxPacketSize) {
        countDrop(stats, "send-oversize");
        return;
      }
      try {
        udp.send(packet, to.port, to.host, (error) => {
          if (error !== null && error !== undefined) countDrop(stats, "send-failed");
        });
        stats.packetsSent++;
        stats.bytesSent += packet.length;
      } catch {
        countDrop(stats, "send-failed"); // e.g. a port out of range, or the socket closed under us
      }
    },

    async request(to, payload, options: StreamRequestOptions) {
      throwIfAborted(options.signal);
      if (tcp === undefined || stopping !== undefined) {
        throw new MeshError("MESH_ERR_NODE_STOPPED", "the transport is not started");
      }
      if (payload.length > config.maxFrameBytes) {
        throw invalidArgument("payload", `at most ${config.maxFrameBytes} bytes`, `${payload.length} bytes`);
      }
      return streamRequest({ clock, stats, maxFrameBytes: config.maxFrameBytes, open: outbound }, to, payload, options);
    },

    setHandlers(handlers) {
      packetHandler = handlers.packet;
      streamHandler = handlers.stream;
    },

    start() {
      if (starting === undefined) {
        stopping = undefined;
        starting = (async () => {
          const sockets = await bindSockets(config.host, config.port, config.bindAttempts);
          udp = sockets.udp;
          tcp = sockets.tcp;
          boundPort = sockets.port;
          udp.on("message", onMessage);
          udp.on("error", (error) => logger.warn("udp socket error", { error: error.message }));
          tcp.on("error", (error) => logger.warn("tcp server error", { error: error.message }));
          tcp.on("connection", (socket) =>
            serveStream(
              {
                clock,
                logger,
                stats,
                maxFrameBytes: config.maxFrameBytes,
                idleTimeoutMs: config.streamIdleTimeoutMs,
                maxInboundStreams: config.maxInboundStreams,
                open: inbound,
                handler: () => streamHandler,
              },
              socket,
            ),
          );
        })();
        // A failed start leaves the transport startable again.
        starting.catch(() => {
          starting = undefined;
        });
      }
      return starting;
    },

    stop() {
      if (stopping === undefined) {
        const wasStarting = starting;
        stopping = (async () => {
          if (wasStarting !== undefined) await wasStarting.catch(() => undefined);
          const server = tcp;
          const socket = udp;
          udp = undefined;
          tcp = undefined;
          const stopped = new MeshError("MESH_ERR_NODE_STOPPED", "the transport stopped during the request");
          for (const fail of [...outbound.values()]) fail(stopped);
          for (const s of inbound) s.destroy();
          socket?.close();
          if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
          starting = undefined;
        })();
      }
      return stopping;
    },

    stats() {
      return { ...stats, dropped: { ...stats.dropped } } satisfies TransportStats;
    },
  };
  return transport;
}

function defaultAdvertiseHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::") return host;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return "127.0.0.1";
}

function integer(property: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(property, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}
