/**
 * Splits a TCP byte stream into frames: a 4-byte big-endian body length, then
 * the body. A body is handed out as a range [start, end) of the incoming chunk
 * when the frame sits inside one chunk (the common case: no copy, and no view
 * object per frame), or of a buffer allocated once at the frame's full size
 * when it spans chunks. A buffer is never reused after a frame in it is handed
 * out, so decoded values may keep views into it.
 */
export const FRAME_HEADER_BYTES = 4;

export type FrameSink = (buffer: Buffer, start: number, end: number) => boolean;

/** What `push` saw: all good, or a length prefix over the limit (the stream cannot be resynchronised). */
export type PushResult = "ok" | "oversize" | "stopped";

export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFill = 0;
  /** The frame being assembled across chunks, or undefined between frames. */
  #partial: Buffer | undefined;
  #partialFill = 0;

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Bytes of an incomplete frame held back, waiting for the rest. */
  get pendingBytes(): number {
    return this.#partial === undefined ? this.#headerFill : FRAME_HEADER_BYTES + this.#partialFill;
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
        if (length > this.#maxFrameBytes) return "oversize";
        this.#partial = Buffer.allocUnsafe(length);
        this.#partialFill = 0;
      }
      const partial = this.#partial;
      const take = Math.min(partial.length - this.#partialFill, end - offset);
      chunk.copy(partial, this.#partialFill, offset, offset + take);
      this.#partialFill += take;
      offset += take;
      if (this.#partialFill < partial.length) return "ok";
      this.#partial = undefined;
      this.#headerFill = 0;
      if (!onFrame(partial, 0, partial.length)) return "stopped";
    }

    while (end - offset >= FRAME_HEADER_BYTES) {
      const length = chunk.readUInt32BE(offset);
      if (length > this.#maxFrameBytes) return "oversize";
      const bodyStart = offset + FRAME_HEADER_BYTES;
      if (end - bodyStart < length) {
        const partial = Buffer.allocUnsafe(length);
        chunk.copy(partial, 0, bodyStart, end);
        this.#partial = partial;
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
}
