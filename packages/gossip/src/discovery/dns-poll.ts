import { isIP } from "node:net";
import { invalidArgument, systemClock, systemRandom } from "@mesh/interface";
import type { Address } from "../transport/transport.js";
import type { Discovery, DiscoveryContext } from "./discovery.js";
import {
  createDnsResolver,
  DEFAULT_DNS_TIMEOUT_MS,
  type DnsResolver,
  dnsFailureReason,
  parseNameservers,
} from "./dns-resolver.js";
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

/** At most this many peers are taken from one answer; the rest are dropped and counted. */
export const DEFAULT_MAX_PEERS = 1_024;
/** SRV targets resolved at once. */
const TARGET_CONCURRENCY = 16;

export type DnsRecordType = "A" | "AAAA" | "SRV";

/** Options every DNS strategy shares (libcluster names in camelCase). */
export interface DnsPollTuning {
  /** Resolvers as "ip:port" ("[v6]:port"), asked in order. @default the system's (/etc/resolv.conf) */
  readonly nameservers?: readonly string[];
  /** Time between polls, in ms (libcluster `polling_interval`). @default 5000 */
  readonly pollingIntervalMs?: number;
  /** Longest delay between retries after failures, in ms. @default 30000 */
  readonly maxBackoffMs?: number;
  /** First timeout of one DNS query, in ms. @default 2000 */
  readonly timeoutMs?: number;
  /** Most peers taken from one answer. @default 1024 */
  readonly maxPeers?: number;
}

export interface DnsPollInit extends DnsPollTuning {
  /** The name to resolve (libcluster `query`). */
  readonly query: string;
  /** "A" or "AAAA": every address is a node at `port`; "SRV": hosts and ports come from the records. @default "A" */
  readonly type?: DnsRecordType;
  /** Gossip port of the nodes found by A/AAAA records. @default this node's own gossip port */
  readonly port?: number;
}

export interface DnsPollComponents extends PollingComponents {
  /** @default node:dns's Resolver with `nameservers` */
  readonly resolver?: DnsResolver;
}

export interface DnsPollStats extends FailureStats {
  polls: number;
  /** Addresses in the last good answer, and peers reported over all polls (our own address excluded). */
  lastAnswer: number;
  peersReported: number;
  /** Records beyond maxPeers, and SRV targets that did not resolve. */
  dropped: number;
}

export interface DnsPollDiscovery extends Discovery {
  readonly query: string;
  readonly type: DnsRecordType;
  /** The addresses of the last good answer (kept through failures: a failed poll forgets nobody). */
  peers(): readonly Address[];
  stats(): DnsPollStats;
}

/**
 * libcluster's DNSPoll: resolves `query` every pollingIntervalMs and reports
 * every address found. A name that leaves DNS is only no longer reported; SWIM
 * decides whether the member is alive. Resolver errors, NXDOMAIN and empty
 * answers are failures: reported, counted, and retried with backoff.
 */
export function dnsPoll(init: DnsPollInit, components: DnsPollComponents = {}): DnsPollDiscovery {
  return dnsPollNamed("dns-poll", init, components);
}

/** dnsPoll under another strategy name (the Kubernetes DNS strategies are DNSPoll on a fixed name). */
export function dnsPollNamed(name: string, init: DnsPollInit, components: DnsPollComponents): DnsPollDiscovery {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const { query } = init;
  if (typeof query !== "string" || query.length === 0 || query.length > 253) {
    throw invalidArgument("query", "a DNS name of 1..253 characters", query);
  }
  const type = init.type ?? "A";
  if (type !== "A" && type !== "AAAA" && type !== "SRV") throw invalidArgument("type", '"A", "AAAA" or "SRV"', type);
  const port = init.port === undefined ? undefined : integer("port", init.port, 1, 65_535);
  const nameservers = parseNameservers(init.nameservers);
  const intervalMs = integer("pollingIntervalMs", init.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS, 1);
  const maxBackoffMs = integer("maxBackoffMs", init.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, intervalMs);
  const timeoutMs = integer("timeoutMs", init.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS, 1);
  const maxPeers = integer("maxPeers", init.maxPeers ?? DEFAULT_MAX_PEERS, 1);
  const stats: DnsPollStats = { polls: 0, lastAnswer: 0, peersReported: 0, dropped: 0, ...emptyFailureStats() };
  let peers: readonly Address[] = [];
  let poller: Poller | undefined;
  let resolver: DnsResolver | undefined;

  const attempt = async (ctx: DiscoveryContext, r: DnsResolver, parts: PollerParts): Promise<boolean> => {
    const report = parts.report;
    stats.polls++;
    let found: Address[];
    try {
      found = await resolveAll(r, ctx.address.port);
    } catch (error) {
      report(
        discoveryFailure(name, dnsFailureReason(error), `${type} ${query} failed (${codeOf(error)})`, {
          cause: error,
          details: { query, type },
        }),
      );
      return false;
    }
    if (found.length === 0) {
      report(discoveryFailure(name, "empty", `${type} ${query} has no usable records`, { details: { query, type } }));
      return false;
    }
    peers = Object.freeze(found);
    stats.lastAnswer = found.length;
    stats.lastFailure = undefined;
    stats.peersReported += reportPeers(ctx, found, parts.logger);
    return true;
  };

  const resolveAll = async (r: DnsResolver, ownPort: number): Promise<Address[]> => {
    if (type !== "SRV") {
      const hosts = type === "A" ? await r.resolve4(query) : await r.resolve6(query);
      return capped(hosts).map((host) => ({ host, port: port ?? ownPort }));
    }
    const records = capped(
      [...(await r.resolveSrv(query))]
        .filter((record) => Number.isInteger(record.port) && record.port >= 1 && record.port <= 65_535)
        .sort((a, b) => a.priority - b.priority || b.weight - a.weight),
    );
    const out: Address[] = [];
    for (let i = 0; i < records.length; i += TARGET_CONCURRENCY) {
      const batch = records.slice(i, i + TARGET_CONCURRENCY);
      const hosts = await Promise.all(batch.map((record) => targetHost(r, record.name)));
      batch.forEach((record, j) => {
        const host = hosts[j];
        if (host === undefined) stats.dropped++;
        else out.push({ host, port: record.port });
      });
    }
    return out;
  };

  const capped = <T>(items: readonly T[]): T[] => {
    if (items.length > maxPeers) stats.dropped += items.length - maxPeers;
    return items.slice(0, maxPeers);
  };

  return {
    name,
    query,
    type,
    peers: () => peers,
    stats: () => ({ ...stats, failuresByReason: { ...stats.failuresByReason } }),
    async start(ctx) {
      if (poller !== undefined) return;
      const parts = pollerParts(components, ctx, stats, { clock: systemClock, random: systemRandom });
      const r =
        components.resolver ?? createDnsResolver({ timeoutMs, ...(nameservers === undefined ? {} : { nameservers }) });
      resolver = r;
      poller = new Poller({ intervalMs, maxBackoffMs, jitter: DEFAULT_POLL_JITTER }, parts, () =>
        attempt(ctx, r, parts),
      );
      await poller.start();
    },
    async stop() {
      poller?.stop();
      poller = undefined;
      resolver?.cancel();
      resolver = undefined;
    },
  };
}

/** An SRV target's address: itself when an IP literal, else its first A (then AAAA) record. */
async function targetHost(r: DnsResolver, target: string): Promise<string | undefined> {
  if (isIP(target) !== 0) return target;
  for (const lookup of [r.resolve4, r.resolve6]) {
    try {
      const [first] = await lookup.call(r, target);
      if (first !== undefined && isIP(first) !== 0) return first;
    } catch {
      // try the other family; a target with neither is dropped and counted
    }
  }
  return undefined;
}

function codeOf(error: unknown): string {
  return String((error as NodeJS.ErrnoException | undefined)?.code ?? error);
}

export function integer(property: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(property, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}
