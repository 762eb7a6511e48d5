/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as carried on call
 * frames: the caller's `traceparent` and, when it has one, its `tracestate`.
 * Both come from peers, so both are checked strictly before use; a value that
 * fails is dropped and the call goes on untraced (never a refused frame: a
 * tracing bug in a peer must not cost its calls).
 */

/**
 * Version 00 only: `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`,
 * lowercase, with neither id all zeros. A later version may append fields; a
 * peer that sends one is read as untraced rather than guessed at.
 */
const TRACEPARENT = /^00-(?!0{32}-)[0-9a-f]{32}-(?!0{16}-)[0-9a-f]{16}-[0-9a-f]{2}$/;
export const TRACEPARENT_CHARS = 55;

/**
 * The W3C spec asks vendors to propagate at least 512 characters of
 * `tracestate`, and lets them drop more; this is also what keeps one field of
 * one frame from holding a large string alive for the whole call.
 */
export const MAX_TRACESTATE_CHARS = 512;
/** Printable ASCII (0x20-0x7e): the header's alphabet; anything else is not a tracestate. */
const TRACESTATE = /^[\x20-\x7e]*$/;

/** The value if it is a valid version-00 traceparent, else undefined. */
export function validTraceparent(value: unknown): string | undefined {
  return typeof value === "string" && value.length === TRACEPARENT_CHARS && TRACEPARENT.test(value) ? value : undefined;
}

/** The value if it can be a tracestate (1 to 512 printable ASCII characters), else undefined. */
export function validTracestate(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_TRACESTATE_CHARS && TRACESTATE.test(value)
    ? value
    : undefined;
}
