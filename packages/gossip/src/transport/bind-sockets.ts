import dgram from "node:dgram";
import net from "node:net";
import { MeshError } from "@mesh/interface";

/** A UDP socket and a TCP server listening on the same host and port. */
export interface BoundSockets {
  readonly udp: dgram.Socket;
  readonly tcp: net.Server;
  readonly port: number;
}

/**
 * Binds UDP first, then TCP on the port UDP got. With `port` 0 the kernel picks
 * a free UDP port, but that port may already be taken for TCP by an unrelated
 * process; then both are released and the pair is tried again, up to `attempts`
 * times. A fixed port that is taken fails at once with MESH_ERR_BIND_FAILED.
 */
export async function bindSockets(host: string, port: number, attempts: number): Promise<BoundSockets> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const udp = dgram.createSocket({ type: net.isIPv6(host) ? "udp6" : "udp4", reuseAddr: false });
    try {
      await bindUdp(udp, host, port);
    } catch (error) {
      closeQuietly(udp);
      throw bindFailed("udp", host, port, error);
    }
    const boundPort = udp.address().port;
    const tcp = net.createServer({ noDelay: true });
    try {
      await listenTcp(tcp, host, boundPort);
      return { udp, tcp, port: boundPort };
    } catch (error) {
      closeQuietly(udp);
      tcp.close();
      lastError = error;
      const inUse = (error as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
      if (port !== 0 || !inUse) throw bindFailed("tcp", host, boundPort, error);
    }
  }
  throw bindFailed("tcp", host, port, lastError, attempts);
}

function bindUdp(socket: dgram.Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    socket.once("error", onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

function listenTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // Already closed: nothing to release.
  }
}

function bindFailed(what: "udp" | "tcp", host: string, port: number, cause: unknown, attempts?: number): MeshError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? "unknown";
  const tries = attempts === undefined ? "" : ` after ${attempts} attempts`;
  return new MeshError("MESH_ERR_BIND_FAILED", `cannot bind ${what} ${host}:${port} (${code})${tries}`, {
    cause,
    details: { host, port, protocol: what, code },
  });
}
