/**
 * The example app's settings, read from environment variables, the way a container
 * or a Kubernetes pod is configured. Every name and default here is what
 * deploy/kubernetes/ declares; a test parses the manifests and checks they agree.
 */
import { hostname, networkInterfaces } from "node:os";

/** Gossip port (UDP and TCP), memberlist's default. */
export const DEFAULT_GOSSIP_PORT = 7946;
/** Call port (TCP). */
export const DEFAULT_CALL_PORT = 7947;
/** Admin port: GET /healthz and GET /readyz. */
export const DEFAULT_ADMIN_PORT = 9464;
/** The app's own HTTP API: GET /view, POST /call. */
export const DEFAULT_HTTP_PORT = 8080;
/** The seed's example capabilities. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze(["game", "chat", "payment"]);
/** How long `node.stop()` may take (handoff included) before the process exits anyway, in ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Time past stopTimeoutMs the app waits for its node to stop before exiting anyway, in ms. */
export const EXIT_MARGIN_MS = 2_000;

/** The port names the manifests give each port; kubernetesDnsSrv and kubernetesApi look "gossip" up. */
export const PORT_NAMES = Object.freeze({
  gossip: "gossip",
  gossipTcp: "gossip-tcp",
  call: "call",
  admin: "admin",
  http: "http",
});

/** The environment variables the app reads. */
export const ENV = Object.freeze({
  name: "MESH_NODE_NAME",
  capabilities: "MESH_CAPABILITIES",
  discovery: "MESH_DISCOVERY",
  seeds: "MESH_SEEDS",
  service: "MESH_SERVICE",
  namespace: "MESH_NAMESPACE",
  clusterDomain: "MESH_CLUSTER_DOMAIN",
  nameservers: "MESH_NAMESERVERS",
  pollingIntervalMs: "MESH_POLLING_INTERVAL_MS",
  advertiseHost: "MESH_ADVERTISE_HOST",
  multicastInterface: "MESH_MULTICAST_INTERFACE",
  multicastPort: "MESH_MULTICAST_PORT",
  secret: "MESH_SECRET",
  gossipPort: "MESH_GOSSIP_PORT",
  callPort: "MESH_CALL_PORT",
  adminPort: "MESH_ADMIN_PORT",
  httpPort: "MESH_HTTP_PORT",
  gossipPreset: "MESH_GOSSIP_PRESET",
  probeIntervalMs: "MESH_PROBE_INTERVAL_MS",
  stopTimeoutMs: "MESH_STOP_TIMEOUT_MS",
  readyMinMembers: "MESH_READY_MIN_MEMBERS",
});

export const DISCOVERY_MODES = [
  "multicast",
  "seeds",
  "kubernetes-dns",
  "kubernetes-dns-srv",
  "kubernetes-api",
] as const;
export type DiscoveryMode = (typeof DISCOVERY_MODES)[number];

export interface AppConfig {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly discovery: DiscoveryMode;
  readonly seeds: readonly string[];
  readonly service: string | undefined;
  readonly namespace: string | undefined;
  readonly clusterDomain: string | undefined;
  readonly nameservers: readonly string[] | undefined;
  readonly pollingIntervalMs: number | undefined;
  /** The address other nodes reach this one at; multicast is sent and joined on it too. */
  readonly advertiseHost: string;
  readonly multicastInterface: string;
  readonly multicastPort: number | undefined;
  readonly secret: string | undefined;
  readonly gossipPort: number;
  readonly callPort: number;
  readonly adminPort: number;
  readonly httpPort: number;
  readonly gossipPreset: "lan" | "wan" | "local";
  readonly probeIntervalMs: number | undefined;
  readonly stopTimeoutMs: number;
  /** /readyz stays 503 until this many members (itself included) are alive. */
  readonly readyMinMembers: number;
}

/** A setting the app cannot start with; the message names the variable. */
export class AppConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function list(env: Env, key: string): string[] | undefined {
  const value = text(env, key);
  return value
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function integer(env: Env, key: string, min: number, max: number): number | undefined {
  const value = text(env, key);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AppConfigError(`${key} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * The first non-internal IPv4 address of this host (a container's or pod's own), so
 * multicast is sent and joined on a named interface rather than the OS default.
 */
export function ownAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

/** Reads the settings; throws an {@link AppConfigError} naming the variable that is wrong. */
export function readAppConfig(env: Env = process.env, own: () => string | undefined = ownAddress): AppConfig {
  const discovery = text(env, ENV.discovery) ?? "multicast";
  if (!(DISCOVERY_MODES as readonly string[]).includes(discovery)) {
    throw new AppConfigError(`${ENV.discovery} must be one of ${DISCOVERY_MODES.join(", ")}, got ${discovery}`);
  }
  const seeds = list(env, ENV.seeds) ?? [];
  if (discovery === "seeds" && seeds.length === 0) throw new AppConfigError(`${ENV.seeds} is empty`);
  const service = text(env, ENV.service);
  if (discovery.startsWith("kubernetes-") && service === undefined) {
    throw new AppConfigError(`${ENV.service} is required with ${ENV.discovery}=${discovery}`);
  }
  // POD_IP is what the downward API gives a pod (status.podIP).
  const advertiseHost = text(env, ENV.advertiseHost) ?? text(env, "POD_IP") ?? own();
  if (advertiseHost === undefined) {
    throw new AppConfigError(`no non-internal IPv4 address: set ${ENV.advertiseHost}`);
  }
  const preset = text(env, ENV.gossipPreset) ?? "lan";
  if (preset !== "lan" && preset !== "wan" && preset !== "local") {
    throw new AppConfigError(`${ENV.gossipPreset} must be lan, wan or local, got ${preset}`);
  }
  return Object.freeze({
    name: text(env, ENV.name) ?? hostname(),
    // Set but empty means none: a node that only calls (a gateway).
    capabilities: Object.freeze(
      env[ENV.capabilities] === undefined ? [...DEFAULT_CAPABILITIES] : (list(env, ENV.capabilities) ?? []),
    ),
    discovery: discovery as DiscoveryMode,
    seeds: Object.freeze(seeds),
    service,
    namespace: text(env, ENV.namespace) ?? text(env, "POD_NAMESPACE"),
    clusterDomain: text(env, ENV.clusterDomain),
    nameservers: list(env, ENV.nameservers),
    pollingIntervalMs: integer(env, ENV.pollingIntervalMs, 1, 3_600_000),
    advertiseHost,
    multicastInterface: text(env, ENV.multicastInterface) ?? advertiseHost,
    multicastPort: integer(env, ENV.multicastPort, 1, 65_535),
    secret: text(env, ENV.secret),
    gossipPort: integer(env, ENV.gossipPort, 1, 65_535) ?? DEFAULT_GOSSIP_PORT,
    callPort: integer(env, ENV.callPort, 1, 65_535) ?? DEFAULT_CALL_PORT,
    adminPort: integer(env, ENV.adminPort, 1, 65_535) ?? DEFAULT_ADMIN_PORT,
    httpPort: integer(env, ENV.httpPort, 1, 65_535) ?? DEFAULT_HTTP_PORT,
    gossipPreset: preset,
    probeIntervalMs: integer(env, ENV.probeIntervalMs, 1, 60_000),
    stopTimeoutMs: integer(env, ENV.stopTimeoutMs, 1, 600_000) ?? DEFAULT_STOP_TIMEOUT_MS,
    readyMinMembers: integer(env, ENV.readyMinMembers, 1, 100_000) ?? 1,
  });
}
