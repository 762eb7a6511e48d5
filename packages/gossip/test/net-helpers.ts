/** Helpers for tests over real loopback sockets (127.0.0.1 only). */
import net from "node:net";
import type { Transport } from "../src/transport/transport.js";
import { createUdpTransport, type UdpTransportInit } from "../src/transport/udp-transport.js";

export const LOOPBACK = "127.0.0.1";

/** A TCP port that was free a moment ago (nothing listens on it now). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: LOOPBACK, port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A UDP transport on an ephemeral loopback port. */
export function loopbackTransport(init: UdpTransportInit = {}): Transport {
  return createUdpTransport({ host: LOOPBACK, port: 0, ...init });
}

/** A high port for multicast tests, different per call so parallel tests do not hear each other. */
export function randomHighPort(): number {
  return 20_000 + Math.floor(Math.random() * 40_000);
}

/** A group in 239.255.0.0/16 (organisation-local scope), random per call. */
export function randomGroup(): string {
  return `239.255.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
}

export const sumDropped = (dropped: Readonly<Record<string, number>>): number =>
  Object.values(dropped).reduce((a, b) => a + b, 0);
