import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** `count` distinct 127.0.0.x addresses, from a random start so that test runs rarely share them. */
export function loopbackHosts(count: number): string[] {
  const first = 10 + Math.floor(Math.random() * (240 - count));
  return Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);
}

/** A port free for both UDP and TCP on every host (gossip binds both), so nodes on those hosts can share it. */
export async function sharedFreePort(hosts: readonly string[]): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const ok = await Promise.all(hosts.map((host) => free(host, port)));
    if (ok.every(Boolean)) return port;
  }
  throw new Error("no shared free port found");
}

async function free(host: string, port: number): Promise<boolean> {
  const udp = await new Promise<boolean>((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
  if (!udp) return false;
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
