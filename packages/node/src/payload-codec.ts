import { MeshError } from "@mesh/interface";
import { Packr, Unpackr } from "msgpackr";

/** Thrown through msgpackr's `writeFunction`: a function cannot cross a node boundary. */
class FunctionNotEncodable extends Error {}

/** The call transport's encoding (plain msgpack maps; a function is refused, not dropped). */
const packr = new Packr({
  useRecords: false,
  writeFunction: () => {
    throw new FunctionNotEncodable("a function cannot be sent");
  },
});
const unpackr = new Unpackr({ useRecords: false });

/** Deeper than this, a value is taken for a cycle (msgpackr would overflow its stack on it). */
const MAX_DEPTH = 500;
/** Returned by the fast copy for a value it leaves to msgpackr (Dates, Maps, typed arrays, BigInts…). */
const NOT_PLAIN: unique symbol = Symbol("not-plain");

/**
 * What a payload or a reply goes through on its way to or from an actor, on this
 * node or another: the same codec decides what is accepted, and a value over the
 * frame limit is refused with MESH_ERR_PAYLOAD_TOO_LARGE before it is encoded.
 *
 * `copy` is the local path's stand-in for encode-then-decode: plain objects,
 * arrays and primitives — what nearly every payload is — are copied by a walk
 * that counts a lower bound of their encoded size as it goes; anything else goes
 * through msgpackr itself, so the result is what the other node would decode.
 */
export class PayloadCodec {
  readonly maxFrameBytes: number;
  #bytes = 0;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** A copy of `value` as another node would decode it; throws the error a remote call would. */
  copy(value: unknown, what: string): unknown {
    if (typeof value !== "object" || value === null) {
      if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null)
        return value;
      if (typeof value === "string") {
        this.#bytes = value.length;
        this.#checkBound(what);
        return value;
      }
      return this.#throughMsgpack(value, what);
    }
    this.#bytes = 0;
    const copied = this.#copyValue(value, 0, what);
    return copied === NOT_PLAIN ? this.#throughMsgpack(value, what) : copied;
  }

  /**
   * Refuses before encoding a value whose encoding is sure to be over the limit
   * (a lower bound: string lengths, binary sizes, one byte per value).
   */
  checkSize(value: unknown, what: string): void {
    if (typeof value !== "object" || value === null) {
      if (typeof value !== "string") return;
      this.#bytes = value.length;
    } else {
      this.#bytes = 0;
      this.#measure(value, 0, what);
    }
    this.#checkBound(what);
  }

  /** Maps the transport's after-the-fact oversize refusal onto the same error as the early one. */
  tooLarge(what: string, bytes: number): MeshError {
    return new MeshError(
      "MESH_ERR_PAYLOAD_TOO_LARGE",
      `the ${what} encodes to at least ${bytes} bytes, over the ${this.maxFrameBytes}-byte frame limit`,
      { details: { bytes, maxFrameBytes: this.maxFrameBytes } },
    );
  }

  #checkBound(what: string): void {
    if (this.#bytes > this.maxFrameBytes) throw this.tooLarge(what, this.#bytes);
  }

  #copyValue(value: unknown, depth: number, what: string): unknown {
    if (typeof value !== "object" || value === null) {
      this.#bytes++;
      if (typeof value === "string") {
        this.#bytes += value.length;
        if (this.#bytes > this.maxFrameBytes) throw this.tooLarge(what, this.#bytes);
        return value;
      }
      if (typeof value === "number" || typeof value === "boolean" || value === undefined) return value;
      return NOT_PLAIN;
    }
    if (depth > MAX_DEPTH) throw unencodable(what, new RangeError("too deep"));
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        const item = this.#copyValue(value[i], depth + 1, what);
        if (item === NOT_PLAIN) return NOT_PLAIN;
        out[i] = item;
      }
      this.#bytes++;
      return out;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
    const out: Record<string, unknown> = {};
    for (const key in value) {
      const item = this.#copyValue((value as Record<string, unknown>)[key], depth + 1, what);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      this.#bytes += key.length + 1;
      out[key] = item;
    }
    this.#bytes++;
    if (this.#bytes > this.maxFrameBytes) throw this.tooLarge(what, this.#bytes);
    return out;
  }

  #measure(value: object, depth: number, what: string): void {
    if (depth > MAX_DEPTH) throw unencodable(what, new RangeError("too deep"));
    this.#bytes++;
    if (ArrayBuffer.isView(value)) {
      this.#bytes += value.byteLength;
      return;
    }
    const items: unknown[] = Array.isArray(value) ? value : Object.values(value);
    for (const item of items) {
      if (typeof item === "string") this.#bytes += item.length + 1;
      else if (typeof item === "object" && item !== null) this.#measure(item, depth + 1, what);
      else this.#bytes++;
      if (this.#bytes > this.maxFrameBytes) return;
    }
  }

  #throughMsgpack(value: unknown, what: string): unknown {
    let encoded: Uint8Array;
    try {
      this.checkSize(value, what);
      encoded = packr.pack(value);
    } catch (cause) {
      if (cause instanceof MeshError) throw cause;
      throw unencodable(what, cause);
    }
    if (encoded.length > this.maxFrameBytes) throw this.tooLarge(what, encoded.length);
    return unpackr.unpack(encoded);
  }
}

function unencodable(what: string, cause: unknown): MeshError {
  let reason = String(cause);
  if (cause instanceof FunctionNotEncodable) reason = "it contains a function";
  else if (cause instanceof RangeError) reason = "it is too deeply nested or contains a cycle";
  else if (cause instanceof Error) reason = cause.message;
  return new MeshError("MESH_ERR_UNENCODABLE", `the ${what} cannot be encoded for the wire: ${reason}`, { cause });
}
