/**
 * A minimal in-memory Transport pair for tests of layers above the network (the
 * secure wrapper, fuzzing): packets are delivered on a microtask, requests call
 * the peer's stream handler directly. No loss, no delay, no timeouts: the
 * simulated network in @mesh/testing is the faithful one; this is a probe.
 */
import {
  type Address,
  emptyTransportStats,
  type PacketHandler,
  type StreamHandler,
  type Transport,
  type TransportStats,
} from "../src/transport/transport.js";

export class MemoryTransport implements Transport {
  readonly localAddress: Address;
  readonly maxPacketSize = 1400;
  peer: MemoryTransport | undefined;
  packetHandler: PacketHandler | undefined;
  streamHandler: StreamHandler | undefined;
  /** Every packet this side sent, as sent (sealed, for a wrapped transport). */
  readonly sent: Uint8Array[] = [];
  /** Every request payload this side sent, and every response it received. */
  readonly requests: Uint8Array[] = [];
  readonly responses: Uint8Array[] = [];
  readonly #stats = emptyTransportStats();

  constructor(port: number) {
    this.localAddress = { host: "127.0.0.1", port };
  }

  sendPacket(_to: Address, packet: Uint8Array): void {
    this.sent.push(new Uint8Array(packet));
    this.#stats.packetsSent++;
    const peer = this.peer;
    queueMicrotask(() => peer?.deliver(packet, this.localAddress));
  }

  /** Feeds one datagram to the installed packet handler, as the UDP receive path does. */
  deliver(packet: Uint8Array, from: Address): void {
    this.#stats.packetsReceived++;
    this.packetHandler?.(packet, from);
  }

  async request(_to: Address, payload: Uint8Array): Promise<Uint8Array> {
    this.requests.push(new Uint8Array(payload));
    this.#stats.streamsOpened++;
    const handler = this.peer?.streamHandler;
    if (handler === undefined) throw new Error("no peer");
    const response = await handler(payload, this.localAddress);
    this.responses.push(new Uint8Array(response));
    return response;
  }

  setHandlers(handlers: { readonly packet: PacketHandler; readonly stream: StreamHandler }): void {
    this.packetHandler = handlers.packet;
    this.streamHandler = handlers.stream;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  stats(): TransportStats {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }
}

export function memoryPair(): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport(1);
  const b = new MemoryTransport(2);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
