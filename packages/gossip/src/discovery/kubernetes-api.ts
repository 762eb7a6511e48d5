import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { type Clock, invalidArgument, isMeshError, systemClock, systemRandom, type TimerHandle } from "@mesh/interface";
import type { Address } from "../transport/transport.js";
import type { Discovery, DiscoveryContext } from "./discovery.js";
import { integer } from "./dns-poll.js";
import {
  metadataName,
  parseEndpointSlice,
  parseSliceList,
  parseWatchEvent,
  resourceVersionOf,
} from "./endpoint-slices.js";
import { type KubeHttpConfig, kubeGetJson, kubeWatch } from "./kube-http.js";
import { DEFAULT_KUBERNETES_NAMESPACE } from "./kubernetes-dns.js";
import { DEFAULT_GOSSIP_PORT_NAME } from "./kubernetes-dns-srv.js";
import {
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_POLL_JITTER,
  DEFAULT_POLLING_INTERVAL_MS,
  discoveryFailure,
  emptyFailureStats,
  type FailureStats,
  Poller,
  type PollerParts,
  type PollingComponents,
  pollerParts,
} from "./poll-backoff.js";
import { reportPeers } from "./report-peers.js";

/** Where Kubernetes mounts a pod's service-account credentials. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** The API server ends each watch after this; the strategy then resumes from the last resourceVersion. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 290;
export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_MAX_API_PEERS = 4_096;
/** A page of 500 full slices (100 endpoints each) is about 10 MB of JSON; larger answers are refused. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface KubernetesApiInit {
  /** Namespace of the slices. @default the pod's own (the service account's namespace file), else "default" */
  readonly namespace?: string;
  /** The Service whose EndpointSlices name the nodes (selector `kubernetes.io/service-name=<service>`). */
  readonly service?: string;
  /** A label selector for the slices, instead of (or beside) `service` (libcluster `kubernetes_selector`). */
  readonly labelSelector?: string;
  /** The slice port that is the gossip port. @default "gossip" */
  readonly portName?: string;
  /** The API server's URL. @default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT */
  readonly apiServer?: string;
  /** Bearer token file, re-read at every request. @default the service account's token */
  readonly tokenFile?: string;
  /** PEM bundle the API server's certificate is checked against. @default the service account's ca.crt */
  readonly caFile?: string;
  /** Time between lists without watch, and between re-reports of the known set with it, in ms. @default 5000 */
  readonly pollingIntervalMs?: number;
  /** Watch the slices (changes arrive at once) instead of only polling lists. @default true */
  readonly watch?: boolean;
  /** Longest delay between retries after failures, in ms. @default 30000 */
  readonly maxBackoffMs?: number;
  /** Timeout of one list request, in ms. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Server-side length of one watch, in s. @default 290 */
  readonly watchTimeoutSeconds?: number;
  /** Slices per list page (`limit`); later pages are fetched with `continue`. @default 500 */
  readonly pageSize?: number;
  /** Most peers (and slices) kept, whatever the API returns. @default 4096 */
  readonly maxPeers?: number;
  /** Largest list page, and largest watch event, in bytes. @default 16 MiB */
  readonly maxBodyBytes?: number;
}

export interface KubernetesApiComponents extends PollingComponents {
  /** The environment KUBERNETES_SERVICE_HOST/PORT are read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface KubernetesApiStats extends FailureStats {
  lists: number;
  pages: number;
  watches: number;
  watchEvents: number;
  /** Lists started again because the API answered 410 Gone to an old resourceVersion. */
  relists: number;
  peersReported: number;
  /** Addresses currently discovered. */
  peers: number;
  /** Endpoints skipped, by reason ("not-ready", "terminating", "no-port", "over-cap", …). */
  readonly skipped: Record<string, number>;
}

export interface KubernetesApiDiscovery extends Discovery {
  readonly namespace: string;
  readonly labelSelector: string;
  /** The ready endpoints of every slice, as now known. */
  peers(): readonly Address[];
  stats(): KubernetesApiStats;
}

/**
 * libcluster's Kubernetes strategy (its EndpointSlice mode): lists the
 * EndpointSlices of a Service through the API server, then watches them from the
 * list's resourceVersion, so a pod that becomes ready, terminates or is deleted
 * changes the set at once. 410 Gone (the version was compacted) relists. The
 * client is node:https (see docs/discovery.md for why not @kubernetes/client-node).
 */
export function kubernetesApi(
  init: KubernetesApiInit = {},
  components: KubernetesApiComponents = {},
): KubernetesApiDiscovery {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const env = components.env ?? process.env;
  const namespace = init.namespace ?? podNamespace() ?? DEFAULT_KUBERNETES_NAMESPACE;
  if (typeof namespace !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw invalidArgument("namespace", "a DNS-1123 label", namespace);
  const labelSelector = selectorOf(init.service, init.labelSelector);
  const portName = init.portName ?? DEFAULT_GOSSIP_PORT_NAME;
  if (typeof portName !== "string") throw invalidArgument("portName", "a string", portName);
  const watch = init.watch ?? true;
  if (typeof watch !== "boolean") throw invalidArgument("watch", "a boolean", watch);
  const intervalMs = integer("pollingIntervalMs", init.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS, 1);
  const maxBackoffMs = integer("maxBackoffMs", init.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, intervalMs);
  const requestTimeoutMs = integer("requestTimeoutMs", init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 1);
  const watchSeconds = integer("watchTimeoutSeconds", init.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS, 1);
  const pageSize = integer("pageSize", init.pageSize ?? DEFAULT_PAGE_SIZE, 1);
  const maxPeers = integer("maxPeers", init.maxPeers ?? DEFAULT_MAX_API_PEERS, 1);
  const http: KubeHttpConfig = {
    strategy: "kubernetes-api",
    apiServer: apiServerUrl(init.apiServer, env),
    tokenFile: init.tokenFile ?? `${SERVICE_ACCOUNT_DIR}/token`,
    caFile: init.caFile ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`,
    maxBodyBytes: integer("maxBodyBytes", init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 1024),
  };
  const base = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  const selector = `labelSelector=${encodeURIComponent(labelSelector)}`;
  const stats: KubernetesApiStats = {
    lists: 0,
    pages: 0,
    watches: 0,
    watchEvents: 0,
    relists: 0,
    peersReported: 0,
    peers: 0,
    skipped: {},
    ...emptyFailureStats(),
  };
  let slices = new Map<string, readonly Address[]>();
  let resourceVersion: string | undefined;
  let peers: readonly Address[] = [];
  let running: { poller: Poller; refresh: TimerHandle | undefined; clock: Clock } | undefined;

  const skipped = (counts: Readonly<Record<string, number>>): void => {
    for (const [reason, n] of Object.entries(counts)) stats.skipped[reason] = (stats.skipped[reason] ?? 0) + n;
  };

  const publish = (ctx: DiscoveryContext, parts: PollerParts): void => {
    const all: Address[] = [];
    for (const addresses of slices.values()) {
      for (const address of addresses) {
        if (all.length >= maxPeers) stats.skipped["over-cap"] = (stats.skipped["over-cap"] ?? 0) + 1;
        else all.push(address);
      }
    }
    peers = Object.freeze(all);
    stats.peers = all.length;
    stats.peersReported += reportPeers(ctx, all, parts.logger);
  };

  /** Puts one slice into `next`; throws a "malformed" failure for a slice that is not one. */
  const apply = (next: Map<string, readonly Address[]>, object: unknown): void => {
    const parsed = parseEndpointSlice(object, portName, maxPeers);
    if (typeof parsed === "string") throw discoveryFailure(http.strategy, "malformed", parsed);
    skipped(parsed.skipped);
    if (next.has(parsed.name) || next.size < maxPeers) next.set(parsed.name, parsed.addresses);
    else stats.skipped["over-cap"] = (stats.skipped["over-cap"] ?? 0) + parsed.addresses.length;
  };

  const withTimeout = async <T>(clock: Clock, ms: number, stop: AbortSignal, run: (s: AbortSignal) => Promise<T>) => {
    const controller = new AbortController();
    const onStop = () => controller.abort();
    stop.addEventListener("abort", onStop);
    const timer = clock.setTimeout(() => controller.abort(), ms);
    try {
      return await run(controller.signal);
    } finally {
      clock.clearTimeout(timer);
      stop.removeEventListener("abort", onStop);
    }
  };

  const relist = async (ctx: DiscoveryContext, parts: PollerParts, stop: AbortSignal): Promise<void> => {
    stats.lists++;
    const next = new Map<string, readonly Address[]>();
    let token: string | undefined;
    let version: string | undefined;
    do {
      const query = `${selector}&limit=${pageSize}${token === undefined ? "" : `&continue=${encodeURIComponent(token)}`}`;
      const body = await withTimeout(parts.clock, requestTimeoutMs, stop, (s) =>
        kubeGetJson(http, `${base}?${query}`, s),
      );
      const page = parseSliceList(body);
      if (typeof page === "string") throw discoveryFailure(http.strategy, "malformed", page);
      stats.pages++;
      version ??= page.resourceVersion; // the first page's version is the snapshot's
      for (const item of page.items) apply(next, item);
      token = page.continueToken;
    } while (token !== undefined && next.size < maxPeers && !stop.aborted);
    slices = next;
    resourceVersion = version;
    publish(ctx, parts);
  };

  const watchOnce = async (ctx: DiscoveryContext, parts: PollerParts, stop: AbortSignal): Promise<void> => {
    stats.watches++;
    const query = `${selector}&watch=true&allowWatchBookmarks=true&timeoutSeconds=${watchSeconds}&resourceVersion=${encodeURIComponent(resourceVersion ?? "")}`;
    const clientMs = watchSeconds * 1000 + requestTimeoutMs; // the server ends it first; this catches a dead link
    await withTimeout(parts.clock, clientMs, stop, (s) =>
      kubeWatch(http, `${base}?${query}`, s, (raw) => {
        const event = parseWatchEvent(raw);
        if (typeof event === "string") throw discoveryFailure(http.strategy, "malformed", event);
        stats.watchEvents++;
        if (event.type === "ERROR") {
          const code = event.object.code;
          if (code === 410) throw discoveryFailure(http.strategy, "gone", "the watch's resourceVersion is too old");
          throw discoveryFailure(http.strategy, "watch-error", `watch error ${String(event.object.message ?? code)}`);
        }
        const version = resourceVersionOf(event.object);
        if (event.type === "DELETED") {
          const name = metadataName(event.object);
          if (name !== undefined) slices.delete(name);
        } else if (event.type !== "BOOKMARK") apply(slices, event.object);
        if (version !== undefined) resourceVersion = version;
        if (event.type !== "BOOKMARK") publish(ctx, parts);
      }),
    );
  };

  const attempt = async (ctx: DiscoveryContext, parts: PollerParts, stop: AbortSignal): Promise<boolean> => {
    for (let tries = 0; tries < 2; tries++) {
      try {
        if (resourceVersion === undefined || !watch) await relist(ctx, parts, stop);
        if (watch && !stop.aborted) await watchOnce(ctx, parts, stop);
        stats.lastFailure = undefined;
        return true;
      } catch (error) {
        if (stop.aborted) return false;
        if (isMeshError(error) && error.details?.reason === "gone") {
          // Expected after a long disconnection: the version was compacted away. List again, once, now.
          stats.relists++;
          resourceVersion = undefined;
          continue;
        }
        parts.report(
          isMeshError(error) ? error : discoveryFailure(http.strategy, "unknown", String(error), { cause: error }),
        );
        return false;
      }
    }
    return false;
  };

  const scheduleRefresh = (ctx: DiscoveryContext, parts: PollerParts): void => {
    if (running === undefined || !watch) return;
    running.refresh = parts.clock.setTimeout(() => {
      if (running === undefined) return;
      stats.peersReported += reportPeers(ctx, peers, parts.logger);
      scheduleRefresh(ctx, parts);
    }, intervalMs);
  };

  return {
    name: http.strategy,
    namespace,
    labelSelector,
    peers: () => peers,
    stats: () => ({ ...stats, failuresByReason: { ...stats.failuresByReason }, skipped: { ...stats.skipped } }),
    async start(ctx) {
      if (running !== undefined) return;
      const parts = pollerParts(components, ctx, stats, { clock: systemClock, random: systemRandom });
      const poller = new Poller({ intervalMs, maxBackoffMs, jitter: DEFAULT_POLL_JITTER }, parts, (stop) =>
        attempt(ctx, parts, stop),
      );
      running = { poller, refresh: undefined, clock: parts.clock };
      scheduleRefresh(ctx, parts);
      // With watch, an attempt lasts as long as its watch: start() does not wait for it.
      void poller.start();
    },
    async stop() {
      if (running === undefined) return;
      running.poller.stop();
      if (running.refresh !== undefined) running.clock.clearTimeout(running.refresh);
      running = undefined;
    },
  };
}

function selectorOf(service: unknown, labelSelector: unknown): string {
  if (service !== undefined && (typeof service !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(service)))
    throw invalidArgument("service", "a DNS-1123 label", service);
  if (labelSelector !== undefined && (typeof labelSelector !== "string" || labelSelector.length === 0))
    throw invalidArgument("labelSelector", "a non-empty label selector", labelSelector);
  const parts = [service === undefined ? undefined : `${SERVICE_NAME_LABEL}=${service}`, labelSelector];
  const selector = parts.filter((p) => p !== undefined).join(",");
  if (selector === "") throw invalidArgument("service", "given (or labelSelector)", service);
  return selector;
}

function apiServerUrl(apiServer: unknown, env: Readonly<Record<string, string | undefined>>): URL {
  let text = apiServer;
  if (text === undefined) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? "443";
    if (host === undefined || host === "")
      throw invalidArgument("apiServer", "given outside a pod (KUBERNETES_SERVICE_HOST is not set)", apiServer);
    text = `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  }
  if (typeof text !== "string") throw invalidArgument("apiServer", "an https:// URL", text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument("apiServer", "an https:// URL", text);
  }
  if (url.protocol !== "https:") throw invalidArgument("apiServer", "an https:// URL", text);
  return url;
}

/** The pod's namespace, as its service account says, or undefined outside a pod. */
function podNamespace(): string | undefined {
  try {
    const text = readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}
