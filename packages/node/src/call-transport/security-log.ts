import type { Clock, Logger } from "@mesh/interface";
import type { SecurityDropReason } from "./transport-stats.js";

/** One warning per reason per window at most: 400 hostile connections must not mean 400 log lines. */
export const SECURITY_LOG_WINDOW_MS = 10_000;

/**
 * Logs connections the call server closed or refused to protect itself, at
 * most once per reason per {@link SECURITY_LOG_WINDOW_MS}; a line says how many
 * of the same reason went unlogged since the previous one. Every drop is
 * counted in `stats().dropped` regardless.
 */
export class SecurityLog {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #windows = new Map<SecurityDropReason, { loggedAt: number; suppressed: number }>();

  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
  }

  drop(reason: SecurityDropReason, remoteAddress: string): void {
    const now = this.#clock.now();
    const window = this.#windows.get(reason);
    if (window !== undefined && now - window.loggedAt < SECURITY_LOG_WINDOW_MS) {
      window.suppressed++;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.#windows.set(reason, { loggedAt: now, suppressed: 0 });
    // A caller that went quiet is routine; the rest is someone misbehaving.
    const log = reason === "idle-timeout" ? this.#logger.info : this.#logger.warn;
    log.call(this.#logger, `call port dropped a connection: ${MESSAGES[reason]}`, {
      reason,
      remoteAddress,
      ...(suppressed > 0 ? { suppressed } : {}),
    });
  }
}

const MESSAGES: Readonly<Record<SecurityDropReason, string>> = Object.freeze({
  "oversize-frame": "a frame over the size limit",
  "undecodable-frame": "a frame that is not msgpack",
  "unopenable-frame": "a frame that does not open with the cluster secret",
  "invalid-message": "an invalid message",
  unauthenticated: "its first frame was not a hello",
  "auth-timeout": "no hello in time",
  "preauth-limit": "too many connections waiting for their hello",
  "connection-limit": "too many connections",
  "buffer-limit": "incomplete frames over the buffer limit",
  "slow-frame": "a frame that did not complete in time",
  "idle-timeout": "idle",
});
