import { connect, createServer, type Server, type Socket } from "node:net";
import type { TestContext } from "node:test";

/**
 * A TCP proxy on loopback that can "black-hole" the link: stop forwarding
 * bytes in both directions without closing a socket, as a partition (a switch
 * that drops everything) does. `heal()` lets new connections through, while
 * those that lived through the black hole stay stuck — as a real connection
 * whose segments were lost sits in TCP retransmission backoff for seconds (up
 * to minutes) after the network came back.
 */
export class BlackHoleProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #stuck = new WeakSet<Socket>();
  #blackHoled = false;
  /** Connections accepted since start. */
  accepted = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on 127.0.0.1 (a free port) and forwards to `targetPort` there. */
  static async start(t: TestContext, targetPort: number): Promise<BlackHoleProxy> {
    const server = createServer();
    const proxy = new BlackHoleProxy(server);
    server.on("connection", (downstream) => proxy.#pipe(downstream, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(() => proxy.close());
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  /** From now on nothing is forwarded, on old connections or new ones. */
  blackHole(): void {
    this.#blackHoled = true;
    for (const socket of this.#sockets) this.#stuck.add(socket);
  }

  /** New connections forward again; the ones black-holed stay stuck. */
  heal(): void {
    this.#blackHoled = false;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(downstream: Socket, targetPort: number): void {
    this.accepted++;
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    for (const socket of [downstream, upstream]) {
      this.#sockets.add(socket);
      if (this.#blackHoled) this.#stuck.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        this.#sockets.delete(socket);
        // Only a live link carries a close; a black-holed one carries nothing.
        const other = socket === downstream ? upstream : downstream;
        if (!this.#stuck.has(socket)) other.destroy();
      });
    }
    const forward = (from: Socket, to: Socket) => {
      from.on("data", (chunk: Buffer) => {
        if (!this.#stuck.has(from)) to.write(chunk);
      });
    };
    forward(downstream, upstream);
    forward(upstream, downstream);
  }
}
