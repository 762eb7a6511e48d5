import { MeshError } from "@mesh/interface";
import { Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr";
import type { FrameCipher } from "./frame-cipher.js";
import { FRAME_HEADER_BYTES } from "./frame-decoder.js";

/** Thrown by msgpackr (through `writeFunction`) when a value holds a function. */
class FunctionNotEncodable extends Error {}

/**
 * Plain msgpack maps (`useRecords: false`), not msgpackr records: on the call
 * message (benchmarks/src/call-transport.bench.ts, medians) maps take ~0.64 µs
 * to pack and ~0.64 µs to unpack, records ~0.91 µs and ~1.5 µs — with no
 * structures shared between peers, a record re-sends its keys in every message.
 */
const packr = new Packr({
  useRecords: false,
  // msgpackr silently writes a function as `undefined`; a call must fail instead.
  writeFunction: () => {
    throw new FunctionNotEncodable("a function cannot be sent");
  },
});
const unpackr = new Unpackr({ useRecords: false });
/**
 * For small bodies decoded from the scratch buffer below: `copyBuffers` makes
 * binary values copies, not views of a buffer that the next frame overwrites.
 */
const scratchUnpackr = new Unpackr({ useRecords: false, copyBuffers: true });

/**
 * Returned by `decode` instead of a value when a body is refused. Sentinels, not a
 * result object, so the hot path allocates nothing beyond the decoded value.
 */
export const UNOPENABLE: unique symbol = Symbol("unopenable-frame");
export const UNDECODABLE: unique symbol = Symbol("undecodable-frame");

/**
 * msgpackr decodes strings in JS when its source ends before byte 140, and with
 * a native call per message otherwise, which for a small message costs more
 * than the whole JS decode (measured: ~1.0 µs vs ~1.6 µs for a 75-byte call).
 * So a small body is copied to offset 0 of a scratch buffer (no allocation) and
 * decoded there; a larger one is decoded in place as a range of its chunk, with
 * no view object per frame.
 */
const SMALL_BODY_BYTES = 140;
const scratch = Buffer.alloc(SMALL_BODY_BYTES);
/** Reused: unpack is synchronous. */
const range = { start: 0, end: 0 };

function unpackRange(buffer: Uint8Array, start: number, end: number): unknown {
  // Refused here: msgpackr reads `end: 0` as "to the end of the buffer".
  if (end <= start) return UNDECODABLE;
  try {
    if (end - start < SMALL_BODY_BYTES) {
      // A byte loop: for under 140 bytes it beats set()/copy(), which allocate a view.
      for (let i = start, j = 0; i < end; i++, j++) scratch[j] = buffer[i] as number;
      range.start = 0;
      range.end = end - start;
      return scratchUnpackr.unpack(scratch, range);
    }
    range.start = start;
    range.end = end;
    return unpackr.unpack(buffer, range);
  } catch {
    return UNDECODABLE;
  }
}

/**
 * Turns messages into complete frames (length prefix + optionally sealed body)
 * and frame bodies back into values. One message per `encode`, so a value that
 * cannot be encoded fails only its own message, never a batch or a connection.
 */
export class WireCodec {
  readonly #cipher: FrameCipher | undefined;
  readonly #maxFrameBytes: number;

  constructor(maxFrameBytes: number, cipher: FrameCipher | undefined) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#cipher = cipher;
  }

  /**
   * A complete frame. Throws MESH_ERR_UNENCODABLE (with the cause) when msgpackr
   * cannot encode it or it is too big.
   *
   * Without a cipher the frame is a view into msgpackr's output buffer, which
   * msgpackr never rewrites (it packs each message after the previous one and
   * starts a new buffer when full) — unless someone in the process packs with
   * RESET_BUFFER_MODE or calls useBuffer(); Mesh code must not.
   */
  encode(message: unknown[], what: string): Uint8Array {
    let frame: Buffer;
    try {
      if (this.#cipher === undefined) {
        // msgpackr leaves the first 4 bytes free, so the header costs no copy.
        frame = packr.pack(message, RESERVE_START_SPACE | FRAME_HEADER_BYTES);
      } else {
        const sealed = this.#cipher.seal(packr.pack(message));
        frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + sealed.length);
        frame.set(sealed, FRAME_HEADER_BYTES);
      }
    } catch (cause) {
      throw new MeshError("MESH_ERR_UNENCODABLE", `the ${what} cannot be encoded for the wire: ${reasonOf(cause)}`, {
        cause,
      });
    }
    const bodyBytes = frame.length - FRAME_HEADER_BYTES;
    if (bodyBytes > this.#maxFrameBytes) {
      throw new MeshError(
        "MESH_ERR_UNENCODABLE",
        `the ${what} encodes to ${bodyBytes} bytes, over the ${this.#maxFrameBytes}-byte frame limit`,
        { details: { bytes: bodyBytes, maxFrameBytes: this.#maxFrameBytes } },
      );
    }
    frame.writeUInt32BE(bodyBytes, 0);
    return frame;
  }

  /**
   * Opens (if sealed) and unpacks the body `buffer[start..end)`; a refused body
   * gives a sentinel. Never throws.
   */
  decode(buffer: Buffer, start = 0, end = buffer.length): unknown {
    if (this.#cipher !== undefined) {
      let opened: Uint8Array | undefined;
      try {
        opened = this.#cipher.open(buffer.subarray(start, end));
      } catch {
        opened = undefined;
      }
      if (opened === undefined) return UNOPENABLE;
      return unpackRange(opened, 0, opened.length);
    }
    return unpackRange(buffer, start, end);
  }
}

function reasonOf(cause: unknown): string {
  if (cause instanceof FunctionNotEncodable) return "it contains a function";
  if (cause instanceof RangeError) return "it is too deeply nested or contains a cycle";
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
