import { type Discovery, type GossipInit, LAN_PRESET, type ProtocolSettings, type Secret } from "@mesh/gossip";
import { invalidArgument, MeshError } from "@mesh/interface";
import { checkKnownKeys, type KnownKeys } from "./config-keys.js";

/**
 * The network side of {@link NodeInit}. A node given none of these options runs
 * standalone: no sockets, a cluster of one. Given any of them, it binds a gossip
 * endpoint (UDP + TCP on one port) and a call endpoint (TCP), and finds other
 * nodes by the discovery strategies the options select.
 *
 * The multicast options carry libcluster's Gossip strategy names and defaults.
 */
export interface NetworkInit {
  /** Multicast discovery port (libcluster `port`). @default 45892 */
  readonly port?: number;
  /** Address the multicast socket binds to (libcluster `if_addr`). @default "0.0.0.0" */
  readonly ifAddr?: string;
  /** Interface multicast is sent and joined on (libcluster `multicast_if`). @default ifAddr when not a wildcard */
  readonly multicastInterface?: string;
  /** Multicast group (libcluster `multicast_addr`). @default "230.1.1.251" */
  readonly multicastAddr?: string;
  /** Multicast TTL (libcluster `multicast_ttl`). @default 1 */
  readonly multicastTtl?: number;
  /**
   * Shared secret: announcements, gossip and calls are sealed with AES-256-GCM keys derived from it.
   * At least {@link MIN_SECRET_BYTES} (16) bytes, 128 bits: a Uint8Array by its length, a string by
   * its UTF-8 bytes. It should be random (`openssl rand -base64 24`); a shorter one is refused with
   * MESH_ERR_INVALID_CONFIG. @default none (nothing sealed)
   */
  readonly secret?: Secret;
  /** Announce by broadcast instead of multicast (libcluster `broadcast_only`). @default false */
  readonly broadcastOnly?: boolean;
  /**
   * Multicast discovery on or off. @default on, unless `seeds` or `discovery` is given
   * and none of the multicast options is.
   */
  readonly multicast?: boolean;
  /** Gossip endpoints ("host:port") of other nodes to join (libcluster Epmd). @default [] */
  readonly seeds?: readonly string[];
  /** Custom discovery strategies, run beside the built-in ones. @default [] */
  readonly discovery?: readonly Discovery[];
  /** Address the gossip and call endpoints bind to. @default "0.0.0.0" */
  readonly host?: string;
  /** Address other nodes use to reach this one. @default host, or the first non-internal IPv4 when host is a wildcard */
  readonly advertiseHost?: string;
  /** Gossip port (UDP and TCP); 0 picks a free one, announced by discovery. @default 0 */
  readonly gossipPort?: number;
  /** Call port (TCP); 0 picks a free one, announced in gossip metadata. @default 0 */
  readonly callPort?: number;
  /** SWIM settings: a preset ("lan", "wan", "local") and overrides such as probeIntervalMs. @default the "lan" preset */
  readonly gossip?: NodeGossipInit;
}

/** Every option of {@link NetworkInit}, one line each (the compiler keeps it complete). */
export const NETWORK_OPTIONS: KnownKeys<NetworkInit> = {
  port: true,
  ifAddr: true,
  multicastInterface: true,
  multicastAddr: true,
  multicastTtl: true,
  secret: true,
  broadcastOnly: true,
  multicast: true,
  seeds: true,
  discovery: true,
  host: true,
  advertiseHost: true,
  gossipPort: true,
  callPort: true,
  gossip: true,
};

const NETWORK_KEYS = Object.keys(NETWORK_OPTIONS) as (keyof NetworkInit)[];

type NodeGossipInit = Omit<GossipInit, "name" | "capabilities" | "tags">;

/**
 * The options of `gossip`: the protocol settings (every key of a preset, so a
 * setting added to the presets is accepted here with no change) and, one line
 * each, the rest of {@link GossipInit}.
 */
const GOSSIP_OPTIONS: Readonly<Record<string, true>> = {
  ...(Object.fromEntries(Object.keys(LAN_PRESET).map((key) => [key, true])) as KnownKeys<ProtocolSettings>),
  ...({
    preset: true,
    advertiseAddress: true,
    lifeguard: true,
    lifeguardAwareness: true,
    lifeguardDogpile: true,
    lifeguardBuddy: true,
    lifeguardNack: true,
  } satisfies KnownKeys<Omit<NodeGossipInit, keyof ProtocolSettings>>),
};

/**
 * 128 bits. A string secret is measured in its UTF-8 bytes, which is what the
 * key derivation consumes; it should be random (e.g. `openssl rand -base64 24`),
 * not a passphrase — 16 bytes of English text hold far less than 128 bits.
 */
export const MIN_SECRET_BYTES = 16;

const MULTICAST_KEYS = [
  "port",
  "ifAddr",
  "multicastInterface",
  "multicastAddr",
  "multicastTtl",
  "broadcastOnly",
] as const;

export interface NetworkConfig {
  readonly multicast: boolean;
  readonly multicastInit: {
    readonly port?: number;
    readonly ifAddr?: string;
    readonly multicastInterface?: string;
    readonly multicastAddr?: string;
    readonly multicastTtl?: number;
    readonly broadcastOnly?: boolean;
  };
  readonly secret: Secret | undefined;
  readonly seeds: readonly string[];
  readonly discovery: readonly Discovery[];
  readonly host: string;
  readonly advertiseHost: string | undefined;
  readonly gossipPort: number;
  readonly callPort: number;
  readonly gossip: NodeGossipInit;
}

function port(property: string, value: unknown): number {
  if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65_535)) {
    throw invalidArgument(property, "an integer port in 0..65535", value);
  }
  return value as number;
}

/** Undefined when the node is standalone; the networked configuration otherwise. */
export function resolveNetworkConfig(init: NetworkInit): NetworkConfig | undefined {
  if (!NETWORK_KEYS.some((key) => init[key] !== undefined)) return undefined;
  const seeds = init.seeds ?? [];
  if (!Array.isArray(seeds) || seeds.some((s) => typeof s !== "string" || s === "")) {
    throw invalidArgument("seeds", 'an array of "host:port" strings', seeds);
  }
  const discovery = init.discovery ?? [];
  if (!Array.isArray(discovery) || discovery.some((d) => typeof d?.start !== "function")) {
    throw invalidArgument("discovery", "an array of Discovery strategies", discovery);
  }
  const multicastAsked = MULTICAST_KEYS.some((key) => init[key] !== undefined);
  const multicast = init.multicast ?? (multicastAsked || (seeds.length === 0 && discovery.length === 0));
  if (typeof multicast !== "boolean") throw invalidArgument("multicast", "a boolean", multicast);
  const host = init.host ?? "0.0.0.0";
  if (typeof host !== "string" || host === "") throw invalidArgument("host", "an IP address", host);
  const gossip = init.gossip ?? {};
  if (typeof gossip !== "object" || gossip === null) throw invalidArgument("gossip", "an object", gossip);
  checkKnownKeys(gossip, GOSSIP_OPTIONS, "gossip.");
  const multicastInit = Object.fromEntries(
    MULTICAST_KEYS.filter((key) => init[key] !== undefined).map((key) => [key, init[key]]),
  );
  return Object.freeze({
    multicast,
    multicastInit: Object.freeze(multicastInit),
    secret: checkSecret(init.secret),
    seeds: Object.freeze([...seeds]),
    discovery: Object.freeze([...discovery]),
    host,
    advertiseHost: init.advertiseHost,
    gossipPort: port("gossipPort", init.gossipPort ?? 0),
    callPort: port("callPort", init.callPort ?? 0),
    gossip: Object.freeze({ ...gossip }),
  });
}

function checkSecret(secret: unknown): Secret | undefined {
  if (secret === undefined) return undefined;
  let bytes: number;
  if (typeof secret === "string") bytes = Buffer.byteLength(secret, "utf8");
  else if (secret instanceof Uint8Array) bytes = secret.length;
  else throw invalidArgument("secret", "a string or a Uint8Array", secret);
  if (bytes < MIN_SECRET_BYTES) {
    // The message never repeats the secret, only its size.
    throw new MeshError(
      "MESH_ERR_INVALID_CONFIG",
      `secret must hold at least ${MIN_SECRET_BYTES} bytes (128 bits) of key material, got ${bytes}; ` +
        "use a random one, e.g. `openssl rand -base64 24`",
      { details: { property: "secret", bytes, minBytes: MIN_SECRET_BYTES } },
    );
  }
  return secret as Secret;
}
