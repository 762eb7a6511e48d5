import { createServer, type Server, type Socket } from "node:net";
import { MeshError, type TimerHandle, tickClockOf } from "@mesh/interface";
import { DeadlineQueue } from "./deadline-queue.js";
import type { CallHandler, InboundCall } from "./incoming-call.js";
import { formatPeerAddress } from "./peer-address.js";
import { SecurityLog } from "./security-log.js";
import { ServerConnection, type ServerContext } from "./server-connection.js";
import {
  type CallServerConfig,
  type CallServerInit,
  type CallTransportComponents,
  serverConfig,
} from "./transport-config.js";
import { type CallServerStats, Counters } from "./transport-stats.js";
import { WireCodec } from "./wire-codec.js";

/**
 * The answering side of the node-to-node transport: listens on host:port,
 * decodes requests, passes them to a {@link CallHandler} and writes its
 * answers. A request that arrives with no time left never reaches the
 * handler. One the handler holds is marked `abandoned` (and its `signal` fires)
 * the moment its caller gives up — its deadline passes, a cancel arrives, or
 * its connection closes — its reply is then dropped, and its in-flight slot is
 * free: the handler should check `abandoned` before starting queued work.
 *
 * ```ts
 * const server = new CallServer({ onCall: async (call) => call.payload, onCast: () => {} }, { port: 7000 });
 * await server.start();
 * console.log(server.address); // "127.0.0.1:7000"
 * await server.stop();
 * ```
 *
 * Hostile callers cost bounded memory: connections are capped in total and per
 * remote address, those still waiting for their hello more tightly (the oldest
 * gives way, so a flood of them cannot lock real callers out), and the bytes
 * held for incomplete frames are capped in total — when full, the connection
 * whose frame started first (a trickle) is closed. Idle connections, slow
 * frames and late hellos are closed by a periodic sweep. Every such close is
 * counted in `stats().dropped` by reason and logged, rate-limited.
 */
export class CallServer {
  readonly config: CallServerConfig;
  readonly #counters = new Counters();
  readonly #connections = new Set<ServerConnection>();
  readonly #context: ServerContext;
  #server: Server | undefined;
  #starting: Promise<void> | undefined;
  #port: number | undefined;
  /** Formatted once: callers may read it per call. */
  #address: string | undefined;
  #accepted = 0;
  /** Connections by remote IP, and those of them not yet authenticated (oldest first). */
  readonly #perAddress = new Map<string, number>();
  readonly #unauthenticated = new Set<ServerConnection>();
  #bufferedBytes = 0;
  #peakBufferedBytes = 0;
  #sweepTimer: TimerHandle | undefined;

  constructor(handler: CallHandler, init: CallServerInit = {}, components: CallTransportComponents = {}) {
    if (typeof handler?.onCall !== "function" || typeof handler.onCast !== "function") {
      throw new MeshError("MESH_ERR_INVALID_ARGUMENT", "handler must have onCall() and onCast()", {
        details: { property: "handler" },
      });
    }
    this.config = serverConfig(init, components);
    this.#context = {
      config: this.config,
      counters: this.#counters,
      codec: new WireCodec(this.config.maxFrameBytes, this.config.cipher),
      deadlines: new DeadlineQueue<InboundCall>(this.config.clock, (call) => call.owner.expire(call)),
      tickClock: tickClockOf(this.config.clock),
      handler,
      acquireBuffer: (connection, bytes) => this.#acquireBuffer(connection, bytes),
      releaseBuffer: (bytes) => {
        this.#bufferedBytes -= bytes;
      },
      onAuthenticated: (connection) => {
        this.#unauthenticated.delete(connection);
      },
      onSecurityDrop: (reason, remoteAddress) => securityLog.drop(reason, remoteAddress),
      onClosed: (connection) => {
        if (!this.#connections.delete(connection)) return;
        this.#unauthenticated.delete(connection);
        const count = (this.#perAddress.get(connection.remoteHost) ?? 1) - 1;
        if (count === 0) this.#perAddress.delete(connection.remoteHost);
        else this.#perAddress.set(connection.remoteHost, count);
      },
    };
    const securityLog = new SecurityLog(this.config.clock, this.config.logger);
  }

  /** "host:port" to give callers, once started. */
  get address(): string | undefined {
    return this.#address;
  }

  /** The bound port (the real one when `port` was 0), once started. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Binds and listens; idempotent. Rejects with MESH_ERR_BIND_FAILED when the address cannot be bound. */
  start(): Promise<void> {
    this.#starting ??= this.#listen();
    return this.#starting;
  }

  /** Idempotent. Stops listening and closes every connection; calls still running are abandoned. */
  async stop(): Promise<void> {
    const starting = this.#starting;
    if (starting === undefined) return;
    this.#starting = undefined;
    await starting.catch(() => {});
    const server = this.#server;
    this.#server = undefined;
    this.#port = undefined;
    this.#address = undefined;
    if (this.#sweepTimer !== undefined) this.config.clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    for (const connection of [...this.#connections]) connection.close();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  stats(): CallServerStats {
    let callsInFlight = 0;
    let queuedBytes = 0;
    for (const connection of this.#connections) {
      callsInFlight += connection.inFlight;
      queuedBytes += connection.queuedBytes;
    }
    return Object.freeze({
      ...this.#counters.snapshot(),
      callsInFlight,
      connections: this.#connections.size,
      queuedBytes,
      accepted: this.#accepted,
      unauthenticated: this.#unauthenticated.size,
      bufferedBytes: this.#bufferedBytes,
      peakBufferedBytes: this.#peakBufferedBytes,
    });
  }

  #listen(): Promise<void> {
    const { host, port, logger } = this.config;
    const server = createServer({ noDelay: true }, (socket) => {
      if (this.#server !== server) {
        socket.destroy();
        return;
      }
      this.#accepted++;
      this.#admit(socket);
    });
    return new Promise<void>((resolve, reject) => {
      const onError = (cause: Error) => {
        this.#starting = undefined;
        reject(
          new MeshError(
            "MESH_ERR_BIND_FAILED",
            `cannot listen for calls on ${formatPeerAddress(host, port)}: ${cause.message}`,
            {
              cause,
              details: { host, port },
            },
          ),
        );
      };
      server.once("error", onError);
      server.listen({ host, port }, () => {
        server.off("error", onError);
        server.on("error", (error) => logger.error("call server error", { error: error.message }));
        const bound = server.address();
        this.#server = server;
        this.#port = typeof bound === "object" && bound !== null ? bound.port : port;
        this.#address = formatPeerAddress(host, this.#port);
        logger.info("call server listening", { address: this.address });
        this.#armSweep();
        resolve();
      });
    });
  }

  /** Takes a new connection in, within the caps (making room among the unauthenticated first). */
  #admit(socket: Socket): void {
    const config = this.config;
    const host = socket.remoteAddress ?? "?";
    const fromHost = (connection: ServerConnection) => connection.remoteHost === host;
    if (
      (this.#connections.size >= config.maxConnections && !this.#evictUnauthenticated(() => true)) ||
      ((this.#perAddress.get(host) ?? 0) >= config.maxConnectionsPerAddress && !this.#evictUnauthenticated(fromHost))
    ) {
      this.#counters.drop("connection-limit");
      this.#context.onSecurityDrop("connection-limit", `${host}:${socket.remotePort ?? 0}`);
      socket.on("error", () => {});
      socket.destroy();
      return;
    }
    if (this.#unauthenticated.size >= config.maxUnauthenticated) this.#evictUnauthenticated(() => true);
    let waiting = 0;
    for (const connection of this.#unauthenticated) if (fromHost(connection)) waiting++;
    if (waiting >= config.maxUnauthenticatedPerAddress) this.#evictUnauthenticated(fromHost);
    const connection = new ServerConnection(socket, this.#context);
    this.#connections.add(connection);
    this.#unauthenticated.add(connection);
    this.#perAddress.set(host, (this.#perAddress.get(host) ?? 0) + 1);
  }

  /** Closes the oldest connection still waiting for its hello that `match` selects; false if none. */
  #evictUnauthenticated(match: (connection: ServerConnection) => boolean): boolean {
    for (const connection of this.#unauthenticated) {
      if (!match(connection)) continue;
      connection.drop("preauth-limit");
      return true;
    }
    return false;
  }

  /**
   * Charges `bytes` of frame buffer to the total. When it is full, connections
   * whose incomplete frame started before this one's are closed, oldest first,
   * until it fits; if none is older, this one is refused. A trickled frame is
   * old by nature, so it is what goes, not a real caller's frame in flight.
   */
  #acquireBuffer(requester: ServerConnection, bytes: number): boolean {
    const max = this.config.maxBufferedBytes;
    const now = this.config.clock.now();
    const startOf = (connection: ServerConnection) => connection.frameStartedAt ?? now;
    while (this.#bufferedBytes + bytes > max) {
      let oldest: ServerConnection | undefined;
      for (const connection of this.#connections) {
        if (connection === requester || connection.bufferedBytes === 0) continue;
        if (oldest === undefined || startOf(connection) < startOf(oldest)) oldest = connection;
      }
      if (oldest === undefined || startOf(oldest) > startOf(requester)) return false;
      oldest.drop("buffer-limit");
    }
    this.#bufferedBytes += bytes;
    if (this.#bufferedBytes > this.#peakBufferedBytes) this.#peakBufferedBytes = this.#bufferedBytes;
    return true;
  }

  /** One timer for every connection's deadlines (hello, frame, idle), a quarter of the shortest apart. */
  #armSweep(): void {
    const { clock, authTimeoutMs, frameTimeoutMs, idleTimeoutMs } = this.config;
    const periodMs = Math.max(10, Math.min(authTimeoutMs, frameTimeoutMs, idleTimeoutMs) / 4);
    this.#sweepTimer = clock.setTimeout(() => {
      if (this.#server === undefined) return;
      const now = clock.now();
      for (const connection of [...this.#connections]) connection.sweep(now);
      this.#armSweep();
    }, periodMs);
  }
}
