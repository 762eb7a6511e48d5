export type { Discovery, DiscoveryContext, DiscoveryPeer } from "./discovery.js";
export {
  DEFAULT_MAX_PEERS,
  type DnsPollComponents,
  type DnsPollDiscovery,
  type DnsPollInit,
  type DnsPollStats,
  type DnsPollTuning,
  type DnsRecordType,
  dnsPoll,
} from "./dns-poll.js";
export {
  createDnsResolver,
  DEFAULT_DNS_TIMEOUT_MS,
  DEFAULT_DNS_TRIES,
  type DnsResolver,
  type DnsResolverInit,
  type SrvAnswer,
} from "./dns-resolver.js";
export { type ParsedSlice, parseEndpointSlice, parseSliceList, parseWatchEvent } from "./endpoint-slices.js";
export {
  type KubernetesApiComponents,
  type KubernetesApiDiscovery,
  type KubernetesApiStats,
  kubernetesApi,
} from "./kubernetes-api.js";
export {
  DEFAULT_MAX_API_PEERS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PAGE_SIZE,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WATCH_TIMEOUT_SECONDS,
  type KubernetesApiConfig,
  type KubernetesApiInit,
  kubernetesApiConfig,
  SERVICE_ACCOUNT_DIR,
  SERVICE_NAME_LABEL,
} from "./kubernetes-api-config.js";
export {
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_KUBERNETES_NAMESPACE,
  type KubernetesDnsInit,
  kubernetesDns,
  kubernetesServiceName,
} from "./kubernetes-dns.js";
export {
  DEFAULT_GOSSIP_PORT_NAME,
  DEFAULT_SRV_PROTOCOL,
  type KubernetesDnsSrvInit,
  kubernetesDnsSrv,
  kubernetesSrvName,
} from "./kubernetes-dns-srv.js";
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
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_POLL_JITTER,
  DEFAULT_POLLING_INTERVAL_MS,
  type FailureStats,
  nextPollDelayMs,
  type PollingComponents,
} from "./poll-backoff.js";
export {
  DEFAULT_SEED_RETRY_INTERVAL_MS,
  parseHostPort,
  type StaticSeedsComponents,
  type StaticSeedsDiscovery,
  type StaticSeedsInit,
  type StaticSeedsStats,
  staticSeeds,
} from "./static-seeds.js";
