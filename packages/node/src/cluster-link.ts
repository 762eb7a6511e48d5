import { networkInterfaces } from "node:os";
import {
  createGossip,
  createUdpTransport,
  type Discovery,
  deriveKey,
  type Gossip,
  Keyring,
  type MemberView,
  multicastDiscovery,
  secureTransport,
  staticSeeds,
  type Transport,
} from "@mesh/gossip";
import { type Clock, childLogger, type Logger } from "@mesh/interface";
import type { RingMember } from "@mesh/ring";
import { secretFrameCipher } from "./call-cipher.js";
import { CallClient, type CallHandler, CallServer, type FrameCipher } from "./call-transport/index.js";
import type { NetworkConfig } from "./network-init.js";

/** Gossip tags every node sets: where its calls go, and its placement weight. */
export const CALL_ADDRESS_TAG = "call";
export const WEIGHT_TAG = "weight";
/**
 * Calls reach the transport through several promise hops (deadline, routing), so a
 * flush at the end of the microtask checkpoint goes out before the other callers'
 * frames are queued. Flushing once per event-loop turn batches them: measured
 * through node.call across two processes, 52k vs 44k calls/s at 256 in flight,
 * 28k vs 21k at 16, 5.6k vs 2.4k at 1 (benchmarks/src/cross-node.bench.ts).
 */
const CALL_FLUSH_MODE = "immediate";

export interface ClusterLinkInit {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly weight: number;
  readonly network: NetworkConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Calls to this node's call endpoint. */
  readonly handler: CallHandler;
  /** Call timeout used when a request gives none. */
  readonly callTimeoutMs: number;
  /** More gossip tags to advertise (the admin endpoint's address). */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Everything a networked node talks through: the gossip member (SWIM over UDP,
 * push-pull over TCP, both sealed when there is a secret), the discovery
 * strategies, and the call endpoints (a server for calls to this node, a
 * client with one persistent connection per peer).
 */
export class ClusterLink {
  readonly gossip: Gossip;
  readonly server: CallServer;
  readonly client: CallClient;

  private constructor(gossip: Gossip, server: CallServer, client: CallClient) {
    this.gossip = gossip;
    this.server = server;
    this.client = client;
  }

  /** Binds every endpoint, starts gossip and discovery; undoes what it did if a step fails. */
  static async start(init: ClusterLinkInit): Promise<ClusterLink> {
    const { network, clock } = init;
    // One child logger per component, so a line says which part of the node wrote it.
    const callLogger = childLogger(init.logger, { component: "calls" });
    const logger = childLogger(init.logger, { component: "gossip" });
    const cipher: FrameCipher | undefined =
      network.secret === undefined ? undefined : secretFrameCipher(network.secret);
    const server = new CallServer(
      init.handler,
      {
        host: network.host,
        port: network.callPort,
        flushMode: CALL_FLUSH_MODE,
        ...(cipher === undefined ? {} : { cipher }),
      },
      { clock, logger: callLogger },
    );
    await server.start();
    const client = new CallClient(
      { defaultTimeoutMs: init.callTimeoutMs, flushMode: CALL_FLUSH_MODE, ...(cipher === undefined ? {} : { cipher }) },
      { clock, logger: callLogger },
    );
    await client.start();
    let transport: Transport = createUdpTransport(
      {
        host: network.host,
        port: network.gossipPort,
        ...(network.advertiseHost === undefined ? {} : { advertiseHost: network.advertiseHost }),
      },
      { clock, logger },
    );
    if (network.secret !== undefined) {
      transport = secureTransport(transport, new Keyring(deriveKey(network.secret, "transport")), { logger });
    }
    const discovery: Discovery[] = [];
    if (network.multicast) {
      discovery.push(
        multicastDiscovery(
          { ...network.multicastInit, ...(network.secret === undefined ? {} : { secret: network.secret }) },
          { clock, logger },
        ),
      );
    }
    if (network.seeds.length > 0) discovery.push(staticSeeds(network.seeds, {}, { clock, logger }));
    discovery.push(...network.discovery);
    const callHost = network.advertiseHost ?? advertisedHost(network.host);
    const gossip = createGossip(
      {
        ...network.gossip,
        name: init.name,
        capabilities: init.capabilities,
        tags: { ...init.tags, [CALL_ADDRESS_TAG]: `${callHost}:${server.port}`, [WEIGHT_TAG]: String(init.weight) },
      },
      { transport, clock, logger, discovery },
    );
    try {
      await gossip.start();
    } catch (error) {
      await server.stop();
      await client.stop();
      throw error;
    }
    return new ClusterLink(gossip, server, client);
  }

  /** The live members (alive or suspect) as the ring sees them. */
  ringMembers(): RingMember[] {
    const out: RingMember[] = [];
    for (const member of this.gossip.members()) {
      if (member.state !== "alive" && member.state !== "suspect") continue;
      out.push({ name: member.name, weight: weightOf(member), capabilities: member.capabilities });
    }
    return out;
  }

  /** Tells the cluster this node is leaving (others record "left"); the endpoints stay open. */
  leave(): Promise<void> {
    return this.gossip.leave();
  }

  /** Leaves (if not done yet) and closes every endpoint. */
  async stop(): Promise<void> {
    await this.gossip.stop();
    await this.client.stop();
    await this.server.stop();
  }
}

export function callAddressOf(member: MemberView): string | undefined {
  return member.tags[CALL_ADDRESS_TAG];
}

function weightOf(member: MemberView): number {
  const weight = Number(member.tags[WEIGHT_TAG] ?? "1");
  return Number.isFinite(weight) && weight > 0 ? weight : 1;
}

/**
 * The host others reach this node's call endpoint at: the bound host, or for a
 * wildcard the first non-internal IPv4 address (as the gossip transport does).
 */
export function advertisedHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::") return host;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return "127.0.0.1";
}
