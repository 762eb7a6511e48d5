import { networkInterfaces } from "node:os";
import {
  type CapabilitiesChange,
  createGossip,
  createUdpTransport,
  type Discovery,
  deriveKey,
  type Gossip,
  type GossipStatsSnapshot,
  Keyring,
  type MemberView,
  multicastDiscovery,
  secureTransport,
  staticSeeds,
} from "@mesh/gossip";
import { type Clock, childLogger, type Logger, MeshError, type Random, type Transport } from "@mesh/interface";
import type { RingMember } from "@mesh/ring";
import { secretFrameCipher } from "./call-cipher.js";
import type { CallHandler, FrameCipher } from "./call-transport/index.js";
import type { MemberEventName } from "./events.js";
import type { NetworkConfig } from "./network-init.js";
import { type CallTransport, TcpCallTransport } from "./node-call-transport.js";

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

export interface NetworkLinkInit {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly weight: number;
  readonly network: NetworkConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Call timeout used when a request gives none. */
  readonly callTimeoutMs: number;
  /** The largest frame body a call may encode to, in bytes. */
  readonly maxFrameBytes: number;
  /** More gossip tags to advertise (the admin endpoint's address), read when the link starts. */
  readonly tags?: () => Readonly<Record<string, string>>;
}

/** What a node may inject instead of the real sockets (tests run whole clusters on a simulator). */
export interface NodeComponents {
  /** The gossip transport (SWIM packets and push-pull streams). @default UDP + TCP on gossipPort */
  readonly transport?: Transport;
  /** The call transport. @default TCP on callPort */
  readonly callTransport?: CallTransport;
  /** Discovery strategies that replace the built-in ones (multicast, seeds). @default from the options */
  readonly discovery?: readonly Discovery[];
  /** Gossip's random source (seeded in simulations). @default Math.random */
  readonly random?: Random;
}

/** Membership as the node sees it: gossip events, handed to the routing component. */
export interface MembershipListener {
  member(event: MemberEventName, member: MemberView): void;
  capabilities(change: CapabilitiesChange): void;
  /** A discovery strategy could not reach its source (it retries by itself). */
  discoveryFailed(error: MeshError): void;
}

/**
 * Everything a node talks to the cluster through. A standalone node has a
 * cluster of one ({@link LoneLink}): no members but itself and no peers to call,
 * so the rest of the node has no standalone special cases.
 */
export interface ClusterLink {
  /** Every member known, this node included (empty alone). */
  members(): readonly MemberView[];
  /** The live members (alive or suspect) as the ring sees them, this node excluded. */
  ringPeers(self: string): RingMember[];
  /** Call endpoint of every member that announced one. */
  callAddresses(): Map<string, string>;
  /** Each discovery strategy's counters, by strategy name (empty alone). */
  discoveryStats(): Readonly<Record<string, object>>;
  /** Gossip input dropped, by reason (empty alone). */
  gossipDropped(): Readonly<Record<string, number>>;
  /** The gossip member's counters (undefined alone). */
  gossipStats(): GossipStatsSnapshot | undefined;
  /** The call transport (serves this node's endpoint, calls others). */
  readonly calls: CallTransport;
  /** Announces this node's new capability set. */
  announceCapabilities(capabilities: readonly string[]): void;
  /** Subscribes to membership changes. */
  listen(listener: MembershipListener): void;
  /** Starts serving `handler`, then joins. */
  start(handler: CallHandler): Promise<void>;
  /** Tells the cluster this node is leaving (others record "left"); the endpoints stay open. */
  leave(): Promise<void>;
  /** Leaves (if not done yet) and closes every endpoint. */
  stop(): Promise<void>;
}

const MEMBER_EVENTS: readonly MemberEventName[] = [
  "member:joined",
  "member:suspect",
  "member:alive",
  "member:dead",
  "member:left",
  "member:updated",
];

/**
 * A networked node's link: the gossip member (SWIM over UDP, push-pull over TCP,
 * both sealed when there is a secret), the discovery strategies, and the call
 * transport (a server for calls to this node, a client with one persistent
 * connection per peer).
 */
export class NetworkLink implements ClusterLink {
  readonly #init: NetworkLinkInit;
  readonly #components: NodeComponents;
  readonly calls: CallTransport;
  #gossip: Gossip | undefined;
  readonly #listeners: MembershipListener[] = [];

  constructor(init: NetworkLinkInit, components: NodeComponents = {}) {
    this.#init = init;
    this.#components = components;
    const { network, clock } = init;
    // One child logger per component, so a line says which part of the node wrote it.
    const logger = childLogger(init.logger, { component: "calls" });
    const cipher: FrameCipher | undefined =
      network.secret === undefined ? undefined : secretFrameCipher(network.secret);
    this.calls =
      components.callTransport ??
      new TcpCallTransport(
        {
          host: network.host,
          port: network.callPort,
          cipher,
          defaultTimeoutMs: init.callTimeoutMs,
          maxFrameBytes: init.maxFrameBytes,
          flushMode: CALL_FLUSH_MODE,
          peerAnswering: (address) => this.#answersProbes(address),
        },
        { clock, logger },
      );
  }

  /** Binds every endpoint, starts gossip and discovery; undoes what it did if a step fails. */
  async start(handler: CallHandler): Promise<void> {
    const init = this.#init;
    const { network, clock } = init;
    const logger = childLogger(init.logger, { component: "gossip" });
    await this.calls.start(handler);
    let transport: Transport =
      this.#components.transport ??
      createUdpTransport(
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
    const discovery = this.#components.discovery ?? builtInDiscovery(network, clock, logger);
    const callHost = network.advertiseHost ?? advertisedHost(network.host);
    const gossip = createGossip(
      {
        ...network.gossip,
        name: init.name,
        capabilities: init.capabilities,
        tags: {
          ...init.tags?.(),
          [CALL_ADDRESS_TAG]: `${callHost}:${this.calls.port}`,
          [WEIGHT_TAG]: String(init.weight),
        },
      },
      {
        transport,
        clock,
        logger,
        discovery,
        ...(this.#components.random === undefined ? {} : { random: this.#components.random }),
      },
    );
    for (const event of MEMBER_EVENTS) {
      gossip.on(event, (member: MemberView, ..._previous: unknown[]) => {
        for (const listener of this.#listeners) listener.member(event, member);
      });
    }
    gossip.on("capabilities:changed", (change) => {
      for (const listener of this.#listeners) listener.capabilities(change);
    });
    gossip.on("discovery:failed", (error) => {
      for (const listener of this.#listeners) listener.discoveryFailed(error);
    });
    this.#gossip = gossip;
    try {
      // ready(): the joins discovery started have settled, or one found this name held by a live node.
      await gossip.ready();
    } catch (error) {
      await this.calls.stop();
      throw error;
    }
  }

  listen(listener: MembershipListener): void {
    this.#listeners.push(listener);
  }

  /** Whether the member with this call address is alive (answering probes) in this node's view. */
  #answersProbes(address: string): boolean {
    for (const member of this.members()) {
      if (member.state === "alive" && callAddressOf(member) === address) return true;
    }
    return false;
  }

  members(): readonly MemberView[] {
    return this.#gossip?.members() ?? [];
  }

  ringPeers(self: string): RingMember[] {
    const out: RingMember[] = [];
    for (const member of this.members()) {
      if (member.name === self || (member.state !== "alive" && member.state !== "suspect")) continue;
      out.push({ name: member.name, weight: weightOf(member), capabilities: member.capabilities });
    }
    return out;
  }

  callAddresses(): Map<string, string> {
    const addresses = new Map<string, string>();
    for (const member of this.members()) {
      const address = callAddressOf(member);
      if (address !== undefined) addresses.set(member.name, address);
    }
    return addresses;
  }

  discoveryStats(): Readonly<Record<string, object>> {
    return this.#gossip?.discoveryStats() ?? {};
  }

  gossipDropped(): Readonly<Record<string, number>> {
    return this.#gossip?.stats().dropped ?? {};
  }

  gossipStats(): GossipStatsSnapshot | undefined {
    return this.#gossip?.stats();
  }

  announceCapabilities(capabilities: readonly string[]): void {
    this.#gossip?.updateMetadata({ capabilities });
  }

  leave(): Promise<void> {
    return this.#gossip?.leave() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.#gossip?.stop();
    await this.calls.stop();
  }
}

/** A call transport with no peers: a cluster of one never calls out. */
const NO_PEERS: CallTransport = {
  port: 0,
  start: () => Promise.resolve(),
  call: (address) =>
    Promise.reject(new MeshError("MESH_ERR_NODE_UNREACHABLE", `a standalone node cannot reach ${address}`)),
  cast: () => {},
  closePeer: () => {},
  resetPeer: () => {},
  stop: () => Promise.resolve(),
};

/** A standalone node's link: a cluster of one, no sockets. */
export class LoneLink implements ClusterLink {
  readonly calls = NO_PEERS;
  members(): readonly MemberView[] {
    return [];
  }
  ringPeers(): RingMember[] {
    return [];
  }
  callAddresses(): Map<string, string> {
    return new Map();
  }
  discoveryStats(): Readonly<Record<string, object>> {
    return {};
  }
  gossipDropped(): Readonly<Record<string, number>> {
    return {};
  }
  gossipStats(): undefined {
    return undefined;
  }
  announceCapabilities(): void {}
  listen(): void {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  leave(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function builtInDiscovery(network: NetworkConfig, clock: Clock, logger: Logger): Discovery[] {
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
  return discovery;
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
