import { MeshError } from "@mesh/interface";
import { Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr";
import type { FrameCipher } from "./frame-cipher.js";
import { FRAME_HEADER_BYTES } from "./frame-decoder.js";

/** Thrown by msgpackr (through `writeFunction`) when a value holds a function. */
class FunctionNotEncodable extends Error {}

/**
 * Plain msgpack maps (`useRecords: false`), not msgpackr records: measured on the
 * call message (see benchmarks/src/call-transport.bench.ts) maps pack ~25% and
 * unpack ~20% faster, because with no shared structures a record re-sends its
 * key list in every message anyway.
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
 * Returned by `decode` instead of a value when a body is refused. Sentinels, not a
 * result object, so the hot path allocates nothing beyond the decoded value.
 */
export const UNOPENABLE: unique symbol = Symbol("unopenable-frame");
export const UNDECODABLE: unique symbol = Symbol("undecodable-frame");

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

  /** A complete frame. Throws MESH_ERR_UNENCODABLE (with the cause) when msgpackr cannot encode it or it is too big. */
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

  /** Opens (if sealed) and unpacks one body; a refused body gives a sentinel. Never throws. */
  decode(body: Buffer): unknown {
    let plain: Uint8Array = body;
    if (this.#cipher !== undefined) {
      let opened: Uint8Array | undefined;
      try {
        opened = this.#cipher.open(body);
      } catch {
        opened = undefined;
      }
      if (opened === undefined) return UNOPENABLE;
      plain = opened;
    }
    try {
      return unpackr.unpack(plain);
    } catch {
      return UNDECODABLE;
    }
  }
}

function reasonOf(cause: unknown): string {
  if (cause instanceof FunctionNotEncodable) return "it contains a function";
  if (cause instanceof RangeError) return "it is too deeply nested or contains a cycle";
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
