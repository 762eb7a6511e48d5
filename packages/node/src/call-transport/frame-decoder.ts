/**
 * Splits a TCP byte stream into frames: a 4-byte big-endian body length, then
 * the body. A body is handed out as a range [start, end) of the incoming chunk
 * when the frame sits inside one chunk (the common case: no copy, and no view
 * object per frame), or of a buffer of its own when it spans chunks. A buffer
 * is never reused after a frame in it is handed out, so decoded values may
 * keep views into it.
 *
 * The buffer of a frame that spans chunks grows with the bytes that arrive
 * (doubling, up to the announced length), never to the announced length at
 * once: a peer that announces 16 MiB and sends 10 bytes holds 64 KiB, not
 * 16 MiB. Every growth is asked of a {@link FrameBudget}, which may refuse.
 */
export const FRAME_HEADER_BYTES = 4;

/** The first buffer of a frame that spans chunks; it doubles from here as bytes come. */
const INITIAL_PARTIAL_BYTES = 64 * 1024;

export type FrameSink = (buffer: Buffer, start: number, end: number) => boolean;

/**
 * What `push` saw: all good; a length prefix over the limit (the stream cannot
 * be resynchronised); the sink asked to stop; or the budget refused the memory
 * the next bytes needed.
 */
export type PushResult = "ok" | "oversize" | "stopped" | "refused";

/** Accounts for the memory of frames being assembled. */
export interface FrameBudget {
  /** Asks for `bytes` more; false refuses them (and the decoder stops). */
  acquire(bytes: number): boolean;
  /** Gives `bytes` back. */
  release(bytes: number): void;
}

const UNLIMITED: FrameBudget = { acquire: () => true, release: () => {} };

export class FrameDecoder {
  /** Largest body accepted; may change between chunks (the server raises it once a peer authenticated). */
  maxFrameBytes: number;
  readonly #budget: FrameBudget;
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFill = 0;
  /** The frame being assembled across chunks, or undefined between frames. */
  #partial: Buffer | undefined;
  /** The body length its header announced; `#partial` grows towards it. */
  #partialLength = 0;
  #partialFill = 0;

  constructor(maxFrameBytes: number, budget: FrameBudget = UNLIMITED) {
    this.maxFrameBytes = maxFrameBytes;
    this.#budget = budget;
  }

  /** Bytes of an incomplete frame received and held back, waiting for the rest. */
  get pendingBytes(): number {
    return this.#partial === undefined ? this.#headerFill : FRAME_HEADER_BYTES + this.#partialFill;
  }

  /** Bytes of buffer held for the incomplete frame (what the budget was charged). */
  get bufferedBytes(): number {
    return this.#partial?.length ?? 0;
  }

  /** Gives the buffer of an incomplete frame back to the budget; the decoder is not used after this. */
  dispose(): void {
    if (this.#partial !== undefined) this.#budget.release(this.#partial.length);
    this.#partial = undefined;
    this.#headerFill = 0;
  }

  /**
   * Feeds one chunk. `onFrame` receives each complete body, as `buffer[start..end)`,
   * in order; it returns `false` to stop (the caller closed the connection), and
   * the rest is ignored.
   */
  push(chunk: Buffer, onFrame: FrameSink): PushResult {
    let offset = 0;
    const end = chunk.length;

    if (this.#partial !== undefined || this.#headerFill > 0) {
      // Finish the header that straddled the previous chunk.
      while (this.#partial === undefined && this.#headerFill < FRAME_HEADER_BYTES && offset < end) {
        this.#header[this.#headerFill++] = chunk[offset++] as number;
      }
      if (this.#partial === undefined) {
        if (this.#headerFill < FRAME_HEADER_BYTES) return "ok";
        const length = this.#header.readUInt32BE(0);
        if (length > this.maxFrameBytes) return "oversize";
        if (this.#startPartial(length, end - offset) === undefined) return "refused";
      }
      const take = Math.min(this.#partialLength - this.#partialFill, end - offset);
      if (!this.#reserve(this.#partialFill + take)) return "refused";
      const partial = this.#partial as Buffer;
      chunk.copy(partial, this.#partialFill, offset, offset + take);
      this.#partialFill += take;
      offset += take;
      if (this.#partialFill < this.#partialLength) return "ok";
      this.#partial = undefined;
      this.#headerFill = 0;
      this.#budget.release(partial.length);
      if (!onFrame(partial, 0, partial.length)) return "stopped";
    }

    while (end - offset >= FRAME_HEADER_BYTES) {
      const length = chunk.readUInt32BE(offset);
      if (length > this.maxFrameBytes) return "oversize";
      const bodyStart = offset + FRAME_HEADER_BYTES;
      if (end - bodyStart < length) {
        const partial = this.#startPartial(length, end - bodyStart);
        if (partial === undefined) return "refused";
        chunk.copy(partial, 0, bodyStart, end);
        this.#partialFill = end - bodyStart;
        this.#headerFill = FRAME_HEADER_BYTES;
        return "ok";
      }
      offset = bodyStart + length;
      if (!onFrame(chunk, bodyStart, offset)) return "stopped";
    }
    while (offset < end) this.#header[this.#headerFill++] = chunk[offset++] as number;
    return "ok";
  }

  /** A buffer for a frame of `length` of which `available` bytes are at hand. */
  #startPartial(length: number, available: number): Buffer | undefined {
    const capacity = Math.min(length, Math.max(INITIAL_PARTIAL_BYTES, available));
    if (!this.#budget.acquire(capacity)) return undefined;
    const partial = Buffer.allocUnsafe(capacity);
    this.#partial = partial;
    this.#partialLength = length;
    this.#partialFill = 0;
    return partial;
  }

  /** Grows the partial buffer (doubling, capped at the frame's length) to hold `needed` bytes. */
  #reserve(needed: number): boolean {
    const partial = this.#partial as Buffer;
    if (needed <= partial.length) return true;
    const capacity = Math.min(this.#partialLength, Math.max(partial.length * 2, needed));
    if (!this.#budget.acquire(capacity - partial.length)) return false;
    const grown = Buffer.allocUnsafe(capacity);
    partial.copy(grown, 0, 0, this.#partialFill);
    this.#partial = grown;
    return true;
  }
}
