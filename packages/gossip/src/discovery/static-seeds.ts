import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { type Clock, invalidArgument, type Logger, noopLogger, systemClock, type TimerHandle } from "@mesh/interface";
import { type Address, addressKey } from "../transport/transport.js";
import type { Discovery, DiscoveryContext } from "./discovery.js";

/** How often the seed list is resolved and reported again, so seeds that start later are still joined. */
export const DEFAULT_SEED_RETRY_INTERVAL_MS = 10_000;

export interface StaticSeedsInit {
  /** Time between rounds of resolving and reporting the seeds, in ms; 0 reports them once, at start. @default 10000 */
  readonly retryIntervalMs?: number;
}

export interface StaticSeedsComponents {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Resolves a host name to its addresses. @default dns.lookup with all: true */
  readonly lookup?: (host: string) => Promise<readonly string[]>;
}

export interface StaticSeedsStats {
  rounds: number;
  peersReported: number;
  resolveFailures: number;
}

export interface StaticSeedsDiscovery extends Discovery {
  /** The parsed seeds, in the order given. */
  readonly seeds: readonly Address[];
  stats(): StaticSeedsStats;
}

/**
 * Parses "host:port" or "[ipv6]:port". The host may be a name (resolved at each
 * round) or an IP literal; an IPv6 literal must be in brackets.
 */
export function parseHostPort(text: string): Address {
  if (typeof text !== "string") throw invalidArgument("seed", 'a "host:port" string', text);
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (match === null || host === undefined || !(port >= 1 && port <= 65_535)) {
    throw invalidArgument("seed", 'a "host:port" string (IPv6 as "[addr]:port") with port 1..65535', text);
  }
  if (match[1] !== undefined && isIP(host) !== 6)
    throw invalidArgument("seed", "a valid IPv6 address in brackets", text);
  return { host, port };
}

const systemLookup = async (host: string): Promise<readonly string[]> =>
  (await lookup(host, { all: true })).map((entry) => entry.address);

/**
 * libcluster's Epmd strategy: a fixed list of members to contact. Each round
 * resolves every seed and reports each address other than our own; the
 * membership layer joins those it does not already know (and skips the rest
 * cheaply), so rounds repeat until stop() so that seeds started after us are
 * joined too, and a partitioned node finds its way back.
 */
export function staticSeeds(
  seeds: readonly string[],
  init: StaticSeedsInit = {},
  components: StaticSeedsComponents = {},
): StaticSeedsDiscovery {
  if (!Array.isArray(seeds)) throw invalidArgument("seeds", 'an array of "host:port" strings', seeds);
  const parsed = Object.freeze(seeds.map(parseHostPort));
  const retryIntervalMs = init.retryIntervalMs ?? DEFAULT_SEED_RETRY_INTERVAL_MS;
  if (!Number.isInteger(retryIntervalMs) || retryIntervalMs < 0) {
    throw invalidArgument("retryIntervalMs", "a non-negative integer", retryIntervalMs);
  }
  const clock = components.clock ?? systemClock;
  const logger = components.logger ?? noopLogger;
  const resolve = components.lookup ?? systemLookup;
  const stats: StaticSeedsStats = { rounds: 0, peersReported: 0, resolveFailures: 0 };
  let context: DiscoveryContext | undefined;
  let timer: TimerHandle | undefined;
  let generation = 0;

  const addressesOf = async (seed: Address): Promise<string[]> => {
    if (isIP(seed.host) !== 0) return [seed.host];
    try {
      return [...(await resolve(seed.host))].filter((host) => isIP(host) !== 0);
    } catch (error) {
      stats.resolveFailures++;
      logger.debug("seed did not resolve", { host: seed.host, error: String(error) });
      return [];
    }
  };

  const round = async (ctx: DiscoveryContext, mine: number): Promise<void> => {
    stats.rounds++;
    const own = addressKey(ctx.address);
    const resolved = await Promise.all(parsed.map(async (seed) => ({ seed, hosts: await addressesOf(seed) })));
    if (mine !== generation) return; // stopped (or restarted) while resolving
    const seen = new Set<string>();
    for (const { seed, hosts } of resolved) {
      for (const host of hosts) {
        const address = { host, port: seed.port };
        const key = addressKey(address);
        if (key === own || seen.has(key)) continue;
        seen.add(key);
        stats.peersReported++;
        try {
          ctx.onPeer({ address });
        } catch (error) {
          logger.warn("discovery onPeer threw", { error: String(error) });
        }
      }
    }
  };

  const schedule = (ctx: DiscoveryContext, mine: number): void => {
    if (retryIntervalMs === 0) return;
    timer = clock.setTimeout(() => {
      void round(ctx, mine).finally(() => {
        if (mine === generation) schedule(ctx, mine);
      });
    }, retryIntervalMs);
  };

  return {
    name: "static-seeds",
    seeds: parsed,
    stats: () => ({ ...stats }),
    async start(ctx) {
      if (context !== undefined) return;
      context = ctx;
      const mine = ++generation;
      await round(ctx, mine);
      if (mine === generation) schedule(ctx, mine);
    },
    async stop() {
      if (context === undefined) return;
      context = undefined;
      generation++;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
