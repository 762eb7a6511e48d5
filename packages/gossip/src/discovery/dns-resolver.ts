import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { invalidArgument } from "@mesh/interface";
import { parseHostPort } from "./static-seeds.js";

/** One SRV answer: the target host (a name or an IP literal) and its port. */
export interface SrvAnswer {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/**
 * The DNS queries the DNS strategies make — the seam through which tests point
 * them at a real server of their own. Failures reject with node:dns errors
 * (code ENOTFOUND for NXDOMAIN, ENODATA for no record of the type, ETIMEOUT, …).
 */
export interface DnsResolver {
  resolve4(name: string): Promise<readonly string[]>;
  resolve6(name: string): Promise<readonly string[]>;
  resolveSrv(name: string): Promise<readonly SrvAnswer[]>;
  /** Cancels the queries in flight (they reject with ECANCELLED). */
  cancel(): void;
}

/** A resolver's per-query timeout, in ms (c-ares retries with doubling timeouts). */
export const DEFAULT_DNS_TIMEOUT_MS = 2_000;
/** Tries per server before a query fails. */
export const DEFAULT_DNS_TRIES = 2;

export interface DnsResolverInit {
  /** Resolvers as "host:port" ("[v6]:port" for IPv6), asked in order. @default the system's (/etc/resolv.conf) */
  readonly nameservers?: readonly string[];
  /** First timeout of a query, in ms. @default 2000 */
  readonly timeoutMs?: number;
  /** Tries per nameserver. @default 2 */
  readonly tries?: number;
}

/** Validates "host:port" nameservers: the host must be an IP literal (a resolver cannot resolve its own name). */
export function parseNameservers(nameservers: unknown): string[] | undefined {
  if (nameservers === undefined) return undefined;
  if (!Array.isArray(nameservers) || nameservers.length === 0) {
    throw invalidArgument("nameservers", 'a non-empty array of "ip:port" strings', nameservers);
  }
  return nameservers.map((text: unknown) => {
    const { host, port } = parseHostPort(text as string);
    if (isIP(host) === 0) throw invalidArgument("nameservers", 'IP literals ("ip:port")', text);
    return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  });
}

/** node:dns's Resolver (c-ares, queries over UDP, TCP on truncation) with the given servers. */
export function createDnsResolver(init: DnsResolverInit = {}): DnsResolver {
  const servers = parseNameservers(init.nameservers);
  const resolver = new Resolver({
    timeout: init.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS,
    tries: init.tries ?? DEFAULT_DNS_TRIES,
  });
  if (servers !== undefined) resolver.setServers(servers);
  return {
    resolve4: (name) => resolver.resolve4(name),
    resolve6: (name) => resolver.resolve6(name),
    resolveSrv: (name) => resolver.resolveSrv(name),
    cancel: () => resolver.cancel(),
  };
}

/** The stats reason for a node:dns failure. */
export function dnsFailureReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOTFOUND":
      return "nxdomain";
    case "ENODATA":
      return "empty";
    case "ETIMEOUT":
      return "timeout";
    case "ESERVFAIL":
      return "servfail";
    case "ECONNREFUSED":
    case "EREFUSED":
      return "refused";
    case "EBADRESP":
    case "EFORMERR":
      return "malformed";
    default:
      return "resolver";
  }
}
