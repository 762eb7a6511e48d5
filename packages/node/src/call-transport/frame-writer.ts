import type { Socket } from "node:net";
import type { Counters } from "./transport-stats.js";

/**
 * When queued frames are written: at the end of the current microtask queue
 * (every frame produced while handling one socket read goes out in one write,
 * with no extra event-loop turn), or on `setImmediate` (also gathers frames
 * produced by other sockets' reads in the same poll phase, at the cost of one
 * turn of latency). benchmarks/src/call-transport.bench.ts measures both.
 */
export type FlushMode = "microtask" | "immediate";

/**
 * The most bytes handed to one socket.write(). Big enough that small frames
 * travel hundreds to a write; small enough that a backlog does not become one
 * huge Buffer.concat, and that the socket can push back between writes.
 */
const MAX_WRITE_BYTES = 256 * 1024;

/**
 * Batches encoded frames per tick into one socket write, and honours
 * backpressure: once write() returns false nothing more is written until
 * 'drain', and frames wait here (their number is bounded by the owner's
 * in-flight limit, not by this class).
 */
export class FrameWriter {
  readonly #counters: Counters;
  readonly #mode: FlushMode;
  #socket: Socket | undefined;
  /**
   * Frames waiting in [#head, #tail); written slots are cleared, so frames are
   * not kept alive by the queue. The ends move by index, never by `length = …`,
   * which is a slow runtime call in V8.
   */
  #queue: (Uint8Array | undefined)[] = [];
  #head = 0;
  #tail = 0;
  #queuedBytes = 0;
  #scheduled = false;
  #stalled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.#write();
  };
  readonly #onDrain = (): void => {
    if (!this.#stalled) return;
    this.#stalled = false;
    this.#onStall?.(false);
    this.#write();
  };
  readonly #onStall: ((stalled: boolean) => void) | undefined;

  /** `onStall(true)` when a write is refused, `onStall(false)` on the 'drain' that follows. */
  constructor(counters: Counters, mode: FlushMode, onStall?: (stalled: boolean) => void) {
    this.#counters = counters;
    this.#mode = mode;
    this.#onStall = onStall;
  }

  /** Bytes of frames waiting to be written. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get queuedFrames(): number {
    return this.#tail - this.#head;
  }

  /** True while waiting for the socket's 'drain'. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** Starts writing to a connected socket, beginning with whatever queued while it connected. */
  attach(socket: Socket): void {
    this.#socket = socket;
    this.#stalled = false;
    socket.on("drain", this.#onDrain);
    if (this.queuedFrames > 0) this.#schedule();
  }

  /** Forgets the socket and every queued frame; returns how many frames were discarded. */
  detach(): number {
    this.#socket?.off("drain", this.#onDrain);
    this.#socket = undefined;
    const discarded = this.queuedFrames;
    this.#queue = [];
    this.#head = 0;
    this.#tail = 0;
    this.#queuedBytes = 0;
    this.#stalled = false;
    return discarded;
  }

  enqueue(frame: Uint8Array): void {
    this.#queue[this.#tail++] = frame;
    this.#queuedBytes += frame.length;
    if (this.#socket !== undefined) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#stalled) return;
    this.#scheduled = true;
    if (this.#mode === "microtask") queueMicrotask(this.#flush);
    else setImmediate(this.#flush);
  }

  #write(): void {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) return;
    const queue = this.#queue;
    const tail = this.#tail;
    while (this.#head < tail && !this.#stalled) {
      let chunk: Uint8Array;
      const first = queue[this.#head] as Uint8Array;
      if (first.length >= MAX_WRITE_BYTES || this.#head + 1 === tail) {
        chunk = first;
        queue[this.#head++] = undefined;
        this.#counters.framesOut++;
      } else {
        let end = this.#head;
        let bytes = 0;
        while (end < tail && bytes + (queue[end] as Uint8Array).length <= MAX_WRITE_BYTES) {
          bytes += (queue[end] as Uint8Array).length;
          end++;
        }
        const batch = Buffer.allocUnsafe(bytes);
        let at = 0;
        for (let i = this.#head; i < end; i++) {
          const frame = queue[i] as Uint8Array;
          queue[i] = undefined;
          batch.set(frame, at);
          at += frame.length;
        }
        chunk = batch;
        this.#counters.framesOut += end - this.#head;
        this.#head = end;
      }
      this.#queuedBytes -= chunk.length;
      this.#counters.bytesOut += chunk.length;
      if (!socket.write(chunk)) {
        this.#stalled = true;
        this.#counters.writeStalls++;
        this.#onStall?.(true);
      }
    }
    if (this.#head === tail) {
      this.#head = 0;
      this.#tail = 0;
      // After a backlog, give the big array back.
      if (queue.length > 4096) this.#queue = [];
    } else if (this.#head > 1024 && this.#head * 2 > tail) {
      const count = tail - this.#head;
      for (let i = 0; i < count; i++) queue[i] = queue[this.#head + i];
      for (let i = count; i < tail; i++) queue[i] = undefined;
      this.#head = 0;
      this.#tail = count;
    }
  }
}
