import { createServer, type Server } from "node:net";
import { MeshError } from "@mesh/interface";
import { DeadlineQueue } from "./deadline-queue.js";
import type { CallHandler, InboundCall } from "./incoming-call.js";
import { formatPeerAddress } from "./peer-address.js";
import { ServerConnection, type ServerContext } from "./server-connection.js";
import { TickClock } from "./tick-clock.js";
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
      tickClock: new TickClock(this.config.clock),
      handler,
      onClosed: (connection) => {
        this.#connections.delete(connection);
      },
    };
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
      this.#connections.add(new ServerConnection(socket, this.#context));
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
        resolve();
      });
    });
  }
}
