export type { Discovery, DiscoveryContext, DiscoveryPeer } from "./discovery.js";
export {
  DEFAULT_ANNOUNCE_INTERVAL_MS,
  DEFAULT_ANNOUNCE_JITTER,
  DEFAULT_IF_ADDR,
  DEFAULT_MULTICAST_ADDR,
  DEFAULT_MULTICAST_PORT,
  DEFAULT_MULTICAST_TTL,
  type MulticastComponents,
  type MulticastConfig,
  type MulticastDiscovery,
  type MulticastInit,
  type MulticastStats,
  multicastConfig,
  multicastDiscovery,
} from "./multicast.js";
export {
  DEFAULT_SEED_RETRY_INTERVAL_MS,
  parseHostPort,
  type StaticSeedsComponents,
  type StaticSeedsDiscovery,
  type StaticSeedsInit,
  type StaticSeedsStats,
  staticSeeds,
} from "./static-seeds.js";
