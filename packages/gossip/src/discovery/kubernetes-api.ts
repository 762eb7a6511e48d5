import { type Clock, isMeshError, systemClock, systemRandom, type TimerHandle } from "@mesh/interface";
import type { Address } from "../transport/transport.js";
import type { Discovery, DiscoveryContext } from "./discovery.js";
import {
  metadataName,
  parseEndpointSlice,
  parseSliceList,
  parseWatchEvent,
  resourceVersionOf,
} from "./endpoint-slices.js";
import { kubeGetJson, kubeWatch } from "./kube-http.js";
import { type KubernetesApiInit, kubernetesApiConfig } from "./kubernetes-api-config.js";
import {
  DEFAULT_POLL_JITTER,
  discoveryFailure,
  emptyFailureStats,
  type FailureStats,
  Poller,
  type PollerParts,
  type PollingComponents,
  pollerParts,
} from "./poll-backoff.js";
import { reportPeers } from "./report-peers.js";

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
  const config = kubernetesApiConfig(init, components.env ?? process.env);
  const { namespace, labelSelector, portName, watch, intervalMs, maxBackoffMs, requestTimeoutMs } = config;
  const { watchSeconds, pageSize, maxPeers, http } = config;
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

  const watchOnce = async (
    ctx: DiscoveryContext,
    parts: PollerParts,
    stop: AbortSignal,
    opened: () => void,
  ): Promise<void> => {
    stats.watches++;
    const query = `${selector}&watch=true&allowWatchBookmarks=true&timeoutSeconds=${watchSeconds}&resourceVersion=${encodeURIComponent(resourceVersion ?? "")}`;
    const clientMs = watchSeconds * 1000 + requestTimeoutMs; // the server ends it first; this catches a dead link
    await withTimeout(parts.clock, clientMs, stop, (s) =>
      kubeWatch(
        http,
        `${base}?${query}`,
        s,
        (raw) => {
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
        },
        opened,
      ),
    );
  };

  const healthy = (): void => {
    stats.lastFailure = undefined;
    running?.poller.markHealthy();
  };

  const attempt = async (ctx: DiscoveryContext, parts: PollerParts, stop: AbortSignal): Promise<boolean> => {
    for (let tries = 0; tries < 2; tries++) {
      try {
        if (resourceVersion === undefined || !watch) {
          await relist(ctx, parts, stop);
          healthy();
        }
        if (watch && !stop.aborted) await watchOnce(ctx, parts, stop, healthy);
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
