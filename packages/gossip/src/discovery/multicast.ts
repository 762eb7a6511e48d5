import dgram from "node:dgram";
import { isIPv4 } from "node:net";
import {
  type Clock,
  invalidArgument,
  type Logger,
  MeshError,
  noopLogger,
  type Random,
  systemClock,
  systemRandom,
  type TimerHandle,
} from "@mesh/interface";
import { deriveKey, type Secret } from "../security/key-derivation.js";
import type { Address } from "../transport/transport.js";
import { announceable, decodeAnnouncement, encodeAnnouncement } from "./announcement.js";
import type { Discovery, DiscoveryContext } from "./discovery.js";

// libcluster Gossip's defaults (the names below are its options in camelCase).
export const DEFAULT_MULTICAST_PORT = 45892;
export const DEFAULT_IF_ADDR = "0.0.0.0";
/** libcluster's documented default until 3.3 (the seed page's); 3.3+ moved to 233.252.1.32. */
export const DEFAULT_MULTICAST_ADDR = "230.1.1.251";
/** 1 keeps announcements on the local link: routers never forward them. */
export const DEFAULT_MULTICAST_TTL = 1;
/** libcluster sends a heartbeat after uniform(1..5000) ms; a 5 s ± 20% period is as prompt on join, steadier after. */
export const DEFAULT_ANNOUNCE_INTERVAL_MS = 5_000;
/** Spread so that nodes started together do not announce in lockstep. */
export const DEFAULT_ANNOUNCE_JITTER = 0.2;

export interface MulticastInit {
  /** UDP port announcements are sent to and received on (libcluster `port`). @default 45892 */
  readonly port?: number;
  /**
   * Local IPv4 address the socket binds (libcluster `if_addr`). On Linux a socket
   * bound to a unicast address receives no multicast: keep 0.0.0.0 and choose the
   * interface with `multicastInterface`. @default "0.0.0.0"
   */
  readonly ifAddr?: string;
  /**
   * IPv4 address of the interface multicast is sent from and the group joined on
   * (libcluster `multicast_if`). @default `ifAddr` (0.0.0.0: the kernel's choice by route)
   */
  readonly multicastInterface?: string;
  /** Group (or, with `broadcastOnly`, broadcast address) announcements go to (libcluster `multicast_addr`). @default "230.1.1.251" */
  readonly multicastAddr?: string;
  /** Multicast hops (libcluster `multicast_ttl`). @default 1 */
  readonly multicastTtl?: number;
  /** Seals announcements (libcluster `secret`); clusters with different secrets ignore each other. @default none */
  readonly secret?: Secret;
  /**
   * Send to `multicastAddr` as a broadcast address (e.g. 255.255.255.255) instead of
   * joining a group, for networks without multicast (libcluster `broadcast_only`). @default false
   */
  readonly broadcastOnly?: boolean;
  /** Mean time between announcements, in ms. @default 5000 */
  readonly announceIntervalMs?: number;
  /** Each interval is drawn uniformly from announceIntervalMs × (1 ± jitter). @default 0.2 */
  readonly announceJitter?: number;
}

export interface MulticastComponents {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
}

export interface MulticastConfig {
  readonly port: number;
  readonly ifAddr: string;
  readonly multicastInterface: string;
  readonly multicastAddr: string;
  readonly multicastTtl: number;
  readonly secret: Secret | undefined;
  readonly broadcastOnly: boolean;
  readonly announceIntervalMs: number;
  readonly announceJitter: number;
}

export interface MulticastStats {
  announcementsSent: number;
  announcementsReceived: number;
  peersReported: number;
  /** Received datagrams dropped, by reason: "malformed", "decrypt", "sealed" (we have no secret), "unsealed" (we have one). */
  readonly dropped: Record<string, number>;
}

export interface MulticastDiscovery extends Discovery {
  /** Sends one announcement now (also done at start and then every interval). */
  announce(): void;
  stats(): MulticastStats;
}

export function multicastConfig(init: MulticastInit = {}): MulticastConfig {
  const ifAddr = ipv4("ifAddr", init.ifAddr ?? DEFAULT_IF_ADDR);
  const broadcastOnly = init.broadcastOnly ?? false;
  if (typeof broadcastOnly !== "boolean") throw invalidArgument("broadcastOnly", "a boolean", broadcastOnly);
  const multicastAddr = ipv4("multicastAddr", init.multicastAddr ?? DEFAULT_MULTICAST_ADDR);
  const firstOctet = Number(multicastAddr.split(".")[0]);
  if (!broadcastOnly && (firstOctet < 224 || firstOctet > 239)) {
    throw invalidArgument(
      "multicastAddr",
      "an IPv4 multicast address (224.0.0.0/4) unless broadcastOnly",
      multicastAddr,
    );
  }
  const secret = init.secret;
  if (secret !== undefined && !(typeof secret === "string" || secret instanceof Uint8Array)) {
    throw invalidArgument("secret", "a string or Uint8Array", secret);
  }
  const jitter = init.announceJitter ?? DEFAULT_ANNOUNCE_JITTER;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter < 1)) {
    throw invalidArgument("announceJitter", "a number in [0, 1)", jitter);
  }
  return Object.freeze({
    port: integer("port", init.port ?? DEFAULT_MULTICAST_PORT, 1, 65_535),
    ifAddr,
    multicastInterface: ipv4("multicastInterface", init.multicastInterface ?? ifAddr),
    multicastAddr,
    multicastTtl: integer("multicastTtl", init.multicastTtl ?? DEFAULT_MULTICAST_TTL, 0, 255),
    secret,
    broadcastOnly,
    announceIntervalMs: integer("announceIntervalMs", init.announceIntervalMs ?? DEFAULT_ANNOUNCE_INTERVAL_MS, 1),
    announceJitter: jitter,
  });
}

/**
 * libcluster's Gossip strategy: every node announces its name and gossip address
 * to a UDP multicast group and listens on it; an announcement from another name
 * is reported to the membership layer, which joins the ones it does not know.
 * The socket shares its port (SO_REUSEADDR) so many nodes run on one host, and
 * sets its multicast interface explicitly, never leaving it to chance in tests.
 */
export function multicastDiscovery(init: MulticastInit = {}, components: MulticastComponents = {}): MulticastDiscovery {
  const config = multicastConfig(init);
  const clock = components.clock ?? systemClock;
  const random = components.random ?? systemRandom;
  const logger = components.logger ?? noopLogger;
  const key = config.secret === undefined ? undefined : deriveKey(config.secret, "discovery");
  const stats: MulticastStats = { announcementsSent: 0, announcementsReceived: 0, peersReported: 0, dropped: {} };
  let socket: dgram.Socket | undefined;
  let context: DiscoveryContext | undefined;
  let packet: Uint8Array | undefined;
  let timer: TimerHandle | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const drop = (reason: string): void => {
    stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
  };

  const onMessage = (message: Buffer, rinfo: dgram.RemoteInfo): void => {
    stats.announcementsReceived++;
    const decoded = decodeAnnouncement(message, key);
    if (typeof decoded === "string") {
      drop(decoded);
      return;
    }
    if (context === undefined || decoded.name === context.name) return; // our own, looped back
    // A member bound to a wildcard address cannot name its host; the datagram's source can.
    const host =
      decoded.address.host === "0.0.0.0" || decoded.address.host === "::" ? rinfo.address : decoded.address.host;
    const address: Address = { host, port: decoded.address.port };
    stats.peersReported++;
    try {
      context.onPeer({ name: decoded.name, address });
    } catch (error) {
      logger.warn("discovery onPeer threw", { error: String(error) });
    }
  };

  const announce = (): void => {
    if (socket === undefined || packet === undefined) return;
    socket.send(packet, config.port, config.multicastAddr, (error) => {
      if (error !== null && error !== undefined) {
        drop("send-failed");
        logger.debug("announcement not sent", { error: error.message });
      }
    });
    stats.announcementsSent++;
  };

  const schedule = (): void => {
    const spread = config.announceJitter * (2 * random.next() - 1);
    timer = clock.setTimeout(
      () => {
        announce();
        schedule();
      },
      config.announceIntervalMs * (1 + spread),
    );
  };

  return {
    name: "multicast",
    announce,
    stats: () => ({ ...stats, dropped: { ...stats.dropped } }),

    start(ctx) {
      if (starting !== undefined) return starting;
      stopping = undefined;
      starting = (async () => {
        const invalid = announceable({ name: ctx.name, address: ctx.address });
        if (invalid !== undefined) throw invalidArgument("context", invalid, ctx.name);
        context = ctx;
        packet = encodeAnnouncement({ name: ctx.name, address: ctx.address }, key);
        const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
        await new Promise<void>((resolve, reject) => {
          s.once("error", reject);
          s.bind({ address: config.ifAddr, port: config.port }, () => {
            s.off("error", reject);
            resolve();
          });
        }).catch((error: NodeJS.ErrnoException) => {
          s.close();
          throw new MeshError(
            "MESH_ERR_BIND_FAILED",
            `cannot bind multicast ${config.ifAddr}:${config.port} (${error.code})`,
            {
              cause: error,
              details: { host: config.ifAddr, port: config.port },
            },
          );
        });
        try {
          s.setMulticastInterface(config.multicastInterface);
          if (config.broadcastOnly) {
            s.setBroadcast(true);
          } else {
            s.setMulticastTTL(config.multicastTtl);
            s.setMulticastLoopback(true); // other nodes on this host must hear us too
            s.addMembership(config.multicastAddr, config.multicastInterface);
          }
        } catch (error) {
          s.close();
          throw new MeshError(
            "MESH_ERR_BIND_FAILED",
            `cannot join ${config.multicastAddr} on ${config.multicastInterface}`,
            {
              cause: error,
              details: { multicastAddr: config.multicastAddr, multicastInterface: config.multicastInterface },
            },
          );
        }
        s.on("message", onMessage);
        s.on("error", (error) => logger.warn("multicast socket error", { error: error.message }));
        socket = s;
        announce();
        schedule();
      })();
      starting.catch(() => {
        starting = undefined;
      });
      return starting;
    },

    stop() {
      if (stopping !== undefined) return stopping;
      const wasStarting = starting;
      stopping = (async () => {
        await wasStarting?.catch(() => undefined);
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        const s = socket;
        socket = undefined;
        context = undefined;
        if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
        starting = undefined;
      })();
      return stopping;
    },
  };
}

function ipv4(property: string, value: unknown): string {
  if (typeof value !== "string" || !isIPv4(value)) throw invalidArgument(property, "an IPv4 address literal", value);
  return value;
}

function integer(property: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(property, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}
