import { type Clock, MeshError, type TimerHandle } from "@mesh/interface";
import { FakeClock } from "./fake-clock.js";
import { SeededRandom } from "./seeded-random.js";

/*
 * A seeded, simulated network for whole clusters in one process on a FakeClock.
 * Its endpoints implement @mesh/gossip's Transport structurally (this package
 * cannot import gossip, which depends on it for tests): packets are best effort
 * (loss, delay, jitter, partitions), request() is a reliable stream that only a
 * partition, a crash or a timeout can break (on a lossy link it is slowed down as
 * TCP's retransmissions would slow it). A paused member models an event-loop
 * stall: its due timers and its arrivals wait, and on resume its overdue timers
 * run first, then the arrivals, as Node's event loop would after a long block.
 */

export interface SimAddress {
  readonly host: string;
  readonly port: number;
}

export interface SimTransportStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  streamsOpened: number;
  streamsAccepted: number;
  readonly dropped: Record<string, number>;
}

export interface SimLink {
  /** Probability in [0, 1] that a packet is lost. */
  readonly loss?: number;
  readonly delayMs?: number;
  /** Uniform extra delay in [0, jitterMs). */
  readonly jitterMs?: number;
}

export interface SimNetworkInit {
  readonly seed: number;
  readonly clock?: FakeClock;
  /** @default 0 */
  readonly loss?: number;
  /** One-way delay. @default 1 */
  readonly delayMs?: number;
  /** @default 1 */
  readonly jitterMs?: number;
  /** What `maxPacketSize` reports, and the size above which a packet is refused. @default 1400 */
  readonly maxPacketSize?: number;
}

export interface SimNetworkStats {
  packetsSent: number;
  bytesSent: number;
  packetsDelivered: number;
  maxPacketBytes: number;
  streams: number;
  /** Request plus reply bytes of streams that completed. */
  streamBytes: number;
  readonly dropped: Record<string, number>;
}

type PacketHandler = (packet: Uint8Array, from: SimAddress) => void;
type StreamHandler = (request: Uint8Array, from: SimAddress) => Promise<Uint8Array> | Uint8Array;

interface SimTimer {
  readonly callback: () => void;
  cancelled: boolean;
  base: TimerHandle | undefined;
}

export function simAddressKey(a: SimAddress): string {
  return `${a.host}:${a.port}`;
}

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** One member's view of the simulation: its transport, clock and random source. */
export class SimNode {
  readonly address: SimAddress;
  readonly key: string;
  readonly transport: SimTransport;
  readonly clock: Clock;
  readonly random: SeededRandom;
  #paused = false;
  #crashed = false;
  readonly #deferredTimers: SimTimer[] = [];
  readonly #deferredArrivals: (() => void)[] = [];

  constructor(network: SimNetwork, address: SimAddress, seed: number) {
    this.address = Object.freeze({ ...address });
    this.key = simAddressKey(address);
    this.random = new SeededRandom(seed);
    this.transport = new SimTransport(network, this);
    const base = network.clock;
    this.clock = {
      now: () => base.now(),
      setTimeout: (callback, delayMs) => {
        const t: SimTimer = { callback, cancelled: false, base: undefined };
        t.base = base.setTimeout(() => this.#runTimer(t), delayMs);
        return t as unknown as TimerHandle;
      },
      clearTimeout: (handle) => {
        const t = handle as unknown as SimTimer;
        t.cancelled = true;
        if (t.base !== undefined) base.clearTimeout(t.base);
      },
    };
  }

  get paused(): boolean {
    return this.#paused;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  pause(): void {
    if (!this.#crashed) this.#paused = true;
  }

  /** Ends a stall: overdue timers first, in deadline order, then everything that arrived meanwhile. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    for (const t of this.#deferredTimers.splice(0)) if (!t.cancelled && !this.#crashed) t.callback();
    for (const arrive of this.#deferredArrivals.splice(0)) if (!this.#crashed) arrive();
  }

  /** The process dies: no timer fires, nothing is received or sent, ever again. */
  crash(): void {
    this.#crashed = true;
    this.#paused = false;
    this.#deferredTimers.length = 0;
    this.#deferredArrivals.length = 0;
  }

  /** Runs `arrive` now, or after the stall if paused; never after a crash. */
  arrive(arrive: () => void): void {
    if (this.#crashed) return;
    if (this.#paused) this.#deferredArrivals.push(arrive);
    else arrive();
  }

  #runTimer(t: SimTimer): void {
    if (t.cancelled || this.#crashed) return;
    if (this.#paused) this.#deferredTimers.push(t);
    else t.callback();
  }
}

/** A member's endpoint; structurally a @mesh/gossip Transport. */
export class SimTransport {
  readonly #network: SimNetwork;
  readonly #node: SimNode;
  readonly #stats: SimTransportStats = {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    dropped: {},
  };
  #packet: PacketHandler | undefined;
  #stream: StreamHandler | undefined;
  #started = false;

  constructor(network: SimNetwork, node: SimNode) {
    this.#network = network;
    this.#node = node;
  }

  get localAddress(): SimAddress {
    return this.#node.address;
  }

  get maxPacketSize(): number {
    return this.#network.maxPacketSize;
  }

  get started(): boolean {
    return this.#started;
  }

  setHandlers(handlers: { readonly packet: PacketHandler; readonly stream: StreamHandler }): void {
    this.#packet = handlers.packet;
    this.#stream = handlers.stream;
  }

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
  }

  stats(): SimTransportStats {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }

  sendPacket(to: SimAddress, packet: Uint8Array): void {
    if (!this.#started || this.#node.crashed) return;
    if (packet.length > this.#network.maxPacketSize) {
      bump(this.#stats.dropped, "oversize");
      this.#network.countDrop("oversize");
      return;
    }
    this.#stats.packetsSent++;
    this.#stats.bytesSent += packet.length;
    this.#network.sendPacket(this.#node, to, packet.slice());
  }

  request(
    to: SimAddress,
    payload: Uint8Array,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<Uint8Array> {
    if (!this.#started) return Promise.reject(new MeshError("MESH_ERR_NODE_STOPPED", "the transport is stopped"));
    this.#stats.streamsOpened++;
    return this.#network.request(this.#node, to, payload.slice(), options);
  }

  /** Called by the network on arrival. */
  receivePacket(packet: Uint8Array, from: SimAddress): void {
    if (!this.#started || this.#packet === undefined) return;
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += packet.length;
    try {
      this.#packet(packet, from);
    } catch {
      // As a socket's message handler: a throwing receiver loses that packet only.
      bump(this.#stats.dropped, "handler-threw");
    }
  }

  /** Called by the network on a stream arrival. */
  serve(request: Uint8Array, from: SimAddress): Promise<Uint8Array> {
    if (!this.#started || this.#stream === undefined)
      return Promise.reject(new MeshError("MESH_ERR_NODE_UNREACHABLE", "connection refused"));
    this.#stats.streamsAccepted++;
    const handler = this.#stream;
    return (async () => handler(request, from))();
  }
}

/** The simulated network: many SimNodes on one FakeClock, reproducible from `seed`. */
export class SimNetwork {
  readonly clock: FakeClock;
  readonly random: SeededRandom;
  readonly seed: number;
  readonly maxPacketSize: number;
  readonly #nodes = new Map<string, SimNode>();
  readonly #links = new Map<string, SimLink>();
  readonly #groups = new Map<string, number>();
  readonly #default: Required<SimLink>;
  readonly #stats: SimNetworkStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsDelivered: 0,
    maxPacketBytes: 0,
    streams: 0,
    streamBytes: 0,
    dropped: {},
  };
  #asyncWork = false;

  constructor(init: SimNetworkInit) {
    this.seed = init.seed >>> 0;
    this.clock = init.clock ?? new FakeClock();
    this.random = new SeededRandom(this.seed);
    this.maxPacketSize = init.maxPacketSize ?? 1400;
    this.#default = { loss: init.loss ?? 0, delayMs: init.delayMs ?? 1, jitterMs: init.jitterMs ?? 1 };
  }

  /** Adds a member at `address` (default 127.0.x.y:7946, numbered in order). */
  addNode(address?: SimAddress): SimNode {
    const i = this.#nodes.size + 1;
    const a = address ?? { host: `127.0.${i >> 8}.${i & 255}`, port: 7946 };
    const key = simAddressKey(a);
    if (this.#nodes.has(key)) throw new Error(`a simulated node already uses ${key}`);
    const node = new SimNode(this, a, (this.seed ^ Math.imul(i, 0x9e3779b1)) >>> 0);
    this.#nodes.set(key, node);
    return node;
  }

  node(address: SimAddress): SimNode | undefined {
    return this.#nodes.get(simAddressKey(address));
  }

  /** Frees an address (after a crash) so a new node can be added there. */
  removeNode(address: SimAddress): void {
    const node = this.#nodes.get(simAddressKey(address));
    node?.crash();
    this.#nodes.delete(simAddressKey(address));
  }

  setDefaultLink(link: SimLink): void {
    Object.assign(this.#default, link);
  }

  /** Overrides one direction of one link. */
  setLink(from: SimAddress, to: SimAddress, link: SimLink): void {
    this.#links.set(`${simAddressKey(from)}>${simAddressKey(to)}`, link);
  }

  /** Members in different groups cannot reach each other (packets and streams); others reach all. */
  partition(groups: readonly (readonly SimAddress[])[]): void {
    this.#groups.clear();
    groups.forEach((group, i) => {
      for (const a of group) this.#groups.set(simAddressKey(a), i);
    });
  }

  heal(): void {
    this.#groups.clear();
  }

  /** True while a partition separates `a` from `b` (the simulated call transport drops what crosses it). */
  partitioned(a: SimAddress, b: SimAddress): boolean {
    return this.#link(simAddressKey(a), simAddressKey(b)) === "blocked";
  }

  /** Stalls a member's event loop for `durationMs`, from now. */
  stall(address: SimAddress, durationMs: number): void {
    const node = this.#nodes.get(simAddressKey(address));
    if (node === undefined) return;
    node.pause();
    this.clock.setTimeout(() => node.resume(), durationMs);
  }

  stats(): SimNetworkStats {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }

  countDrop(reason: string): void {
    bump(this.#stats.dropped, reason);
  }

  /** Work continues in promises (a simulated call): the next step lets them settle before the next timer. */
  noteAsyncWork(): void {
    this.#asyncWork = true;
  }

  /** Advances simulated time by `ms`, firing timers in order and settling promises between them. */
  async run(ms: number): Promise<void> {
    let reached = false;
    this.clock.setTimeout(() => {
      reached = true;
    }, ms);
    while (!reached) {
      if (!this.clock.step()) break;
      if (this.#asyncWork) await this.#flush();
    }
    await this.#flush();
  }

  /** Runs until `condition()` holds, checking every `stepMs`; false if `maxMs` passed first. */
  async runUntil(condition: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    const end = this.clock.now() + maxMs;
    while (!condition()) {
      if (this.clock.now() >= end) return false;
      await this.run(Math.min(stepMs, end - this.clock.now()));
    }
    return true;
  }

  /** Runs the clock until `promise` settles (at most `maxMs`), and returns its outcome. */
  async settle<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    await this.runUntil(() => settled, maxMs, 1);
    if (!settled) throw new Error(`promise did not settle within ${maxMs} simulated ms (seed ${this.seed})`);
    return watched;
  }

  sendPacket(from: SimNode, to: SimAddress, packet: Uint8Array): void {
    const s = this.#stats;
    s.packetsSent++;
    s.bytesSent += packet.length;
    if (packet.length > s.maxPacketBytes) s.maxPacketBytes = packet.length;
    const link = this.#link(from.key, simAddressKey(to));
    if (link === "blocked") {
      this.countDrop("partition");
      return;
    }
    if (link.loss > 0 && this.random.next() < link.loss) {
      this.countDrop("loss");
      return;
    }
    this.clock.setTimeout(() => {
      const dest = this.#nodes.get(simAddressKey(to));
      if (dest === undefined || dest.crashed || !dest.transport.started) {
        this.countDrop("unreachable");
        return;
      }
      dest.arrive(() => {
        s.packetsDelivered++;
        dest.transport.receivePacket(packet, from.address);
      });
    }, this.#delay(link));
  }

  request(
    from: SimNode,
    to: SimAddress,
    payload: Uint8Array,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<Uint8Array> {
    this.#stats.streams++;
    this.#asyncWork = true;
    return new Promise<Uint8Array>((resolve, reject) => {
      let open = true;
      const onAbort = () => settle(() => reject(new MeshError("MESH_ERR_ABORTED", "stream request aborted")));
      const settle = (fn: () => void) => {
        if (!open) return;
        open = false;
        from.clock.clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#asyncWork = true;
        fn();
      };
      const timer = from.clock.setTimeout(
        () => settle(() => reject(new MeshError("MESH_ERR_TIMEOUT", `stream to ${simAddressKey(to)} timed out`))),
        options.timeoutMs,
      );
      if (options.signal?.aborted === true) {
        onAbort();
        return;
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const toKey = simAddressKey(to);
      const out = this.#link(from.key, toKey);
      // A partition swallows the connection attempt: only the timeout ends it.
      if (out === "blocked") {
        this.countDrop("partition");
        return;
      }
      this.clock.setTimeout(
        () => {
          const dest = this.#nodes.get(toKey);
          if (dest === undefined || dest.crashed || !dest.transport.started) {
            // A dead process's port refuses the connection.
            from.arrive(() =>
              settle(() => reject(new MeshError("MESH_ERR_NODE_UNREACHABLE", `connection to ${toKey} refused`))),
            );
            return;
          }
          dest.arrive(() => {
            this.#asyncWork = true;
            dest.transport.serve(payload, from.address).then(
              (reply) => {
                this.#stats.streamBytes += payload.length + reply.length;
                this.#reply(from, dest, () => settle(() => resolve(reply.slice())));
              },
              (error: unknown) =>
                this.#reply(from, dest, () =>
                  settle(() =>
                    reject(new MeshError("MESH_ERR_NODE_UNREACHABLE", "stream closed by peer", { cause: error })),
                  ),
                ),
            );
          });
        },
        this.#streamDelay(out, true),
      );
    });
  }

  /**
   * One leg of a reliable stream that rides beside this network (a simulated call
   * or its reply): undefined when a partition cuts `from` off from `to`, else the
   * extra delay its lost transmissions cost, as for `request` (0 on a lossless
   * link, drawing nothing from the seed, so lossless runs replay as before).
   */
  streamPenalty(from: SimAddress, to: SimAddress): number | undefined {
    const link = this.#link(simAddressKey(from), simAddressKey(to));
    if (link === "blocked") {
      this.countDrop("partition");
      return undefined;
    }
    let extra = 0;
    let rto = 200;
    while (link.loss > 0 && this.random.next() < link.loss) {
      extra += rto;
      rto *= 2;
    }
    return extra;
  }

  #reply(from: SimNode, dest: SimNode, deliver: () => void): void {
    this.#asyncWork = true;
    const back = this.#link(dest.key, from.key);
    if (back === "blocked" || dest.crashed) return;
    this.clock.setTimeout(() => from.arrive(deliver), this.#streamDelay(back, false));
  }

  #link(fromKey: string, toKey: string): Required<SimLink> | "blocked" {
    const ga = this.#groups.get(fromKey);
    const gb = this.#groups.get(toKey);
    if (ga !== undefined && gb !== undefined && ga !== gb) return "blocked";
    const o = this.#links.get(`${fromKey}>${toKey}`);
    if (o === undefined) return this.#default;
    return {
      loss: o.loss ?? this.#default.loss,
      delayMs: o.delayMs ?? this.#default.delayMs,
      jitterMs: o.jitterMs ?? this.#default.jitterMs,
    };
  }

  #delay(link: Required<SimLink>): number {
    return link.delayMs + (link.jitterMs > 0 ? this.random.next() * link.jitterMs : 0);
  }

  /**
   * A stream leg over a lossy link, as TCP would carry it: every lost transmission
   * costs a retransmission timeout (Linux: 1 s for a SYN, at least 200 ms for data),
   * doubling each time.
   */
  #streamDelay(link: Required<SimLink>, connect: boolean): number {
    let delay = this.#delay(link);
    let rto = connect ? 1000 : 200;
    while (link.loss > 0 && this.random.next() < link.loss) {
      delay += rto;
      rto *= 2;
    }
    return delay;
  }

  async #flush(): Promise<void> {
    this.#asyncWork = false;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
