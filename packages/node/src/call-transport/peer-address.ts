import { invalidArgument } from "@mesh/interface";

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `host:port`, with IPv6 hosts in brackets (`[::1]:7000`). The string
 * form is the key for the one connection per peer.
 */
export function parsePeerAddress(address: string): PeerAddress {
  if (typeof address !== "string") throw invalidArgument("address", 'a "host:port" string', address);
  const colon = address.lastIndexOf(":");
  if (colon <= 0) throw invalidArgument("address", 'a "host:port" string', address);
  let host = address.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  else if (host.includes(":")) throw invalidArgument("address", "an IPv6 host in brackets, as [::1]:port", address);
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  if (host === "" || !/^\d{1,5}$/.test(portText) || port < 1 || port > 65_535) {
    throw invalidArgument("address", 'a "host:port" string with a port 1..65535', address);
  }
  return { host, port };
}

export function formatPeerAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
