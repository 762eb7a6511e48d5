/**
 * Length-prefixed frames for the stream path: a 4-byte big-endian length, then
 * that many bytes. The reader is incremental (TCP delivers arbitrary chunks) and
 * never throws: a length above the limit is reported so the caller can drop the
 * connection before buffering anything.
 */

/** Bytes in the length prefix. */
export const FRAME_HEADER_BYTES = 4;

export type FramePush = "more" | "frame" | "oversize";

export class FrameReader {
  readonly #maxFrameBytes: number;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  readonly #frames: Uint8Array[] = [];

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Consumes a chunk; returns "oversize" as soon as a prefix announces a frame above the limit. */
  push(chunk: Uint8Array): FramePush {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#body === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFill);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        const h = this.#header;
        // >>> 0 keeps lengths >= 2^31 positive, so they are rejected as oversize, not as negative.
        const length =
          (((h[0] as number) << 24) | ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number)) >>> 0;
        if (length > this.#maxFrameBytes) return "oversize";
        this.#headerFill = 0;
        if (length === 0) {
          this.#frames.push(new Uint8Array(0));
          continue;
        }
        this.#body = new Uint8Array(length);
        this.#bodyFill = 0;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyFill, chunk.length - offset);
      body.set(chunk.subarray(offset, offset + take), this.#bodyFill);
      this.#bodyFill += take;
      offset += take;
      if (this.#bodyFill === body.length) {
        this.#frames.push(body);
        this.#body = undefined;
      }
    }
    return this.#frames.length > 0 ? "frame" : "more";
  }

  /** The oldest complete frame, if any. */
  next(): Uint8Array | undefined {
    return this.#frames.shift();
  }

  /** True when part of a frame (prefix or body) has been received but not all of it. */
  get partial(): boolean {
    return this.#headerFill > 0 || this.#body !== undefined;
  }
}

/** The 4-byte prefix for a frame of `length` bytes (written before the body, so the body is never copied). */
export function frameHeader(length: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  header[0] = length >>> 24;
  header[1] = (length >>> 16) & 0xff;
  header[2] = (length >>> 8) & 0xff;
  header[3] = length & 0xff;
  return header;
}
