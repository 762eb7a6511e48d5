import { WIRE_LIMITS } from "../wire/limits.js";

/**
 * The incarnation rules that keep a member's incarnation in range whatever a
 * peer sends. Only a member itself makes new incarnations of its name; everyone
 * else only repeats them. Yet any datagram can claim one, and a claim about us
 * above our own makes us refute above it. Without bounds, one 16-byte `suspect`
 * at 2^53 - 1 made the victim refute at 2^53, which no decoder accepts, its own
 * included: it could never be alive again.
 *
 * - A claim about a known member (alive, suspect or dead, about us or another)
 *   is plausible if it is below maxIncarnation and at most maxIncarnationJump
 *   (2^20) above the incarnation we hold for it. Anything else is dropped and
 *   counted ("implausible-incarnation"), by every member alike, so a hostile
 *   claim neither raises the victim nor kills it in third parties' tables.
 * - A plausible accusation of us is refuted at max(own + 1, accused + 1), which
 *   is therefore at most maxIncarnation: a refutation always decodes.
 *   memberlist refutes any accusation at accused + 1 in a uint32 and wraps.
 * - A member we do not know yet is taken at any incarnation below the maximum.
 *
 * A new life of a member (restarted, incarnation 0) takes its name back from the
 * old life's records by refuting them at old + 1; that needs the old life to
 * have made fewer than 2^20 incarnations.
 */
export function plausibleIncarnation(held: number | undefined, claimed: number): boolean {
  if (claimed >= WIRE_LIMITS.maxIncarnation) return false;
  return held === undefined || claimed - held <= WIRE_LIMITS.maxIncarnationJump;
}

/** The incarnation that refutes a (plausible) accusation at `accused` of a member at `own`. */
export function refutationIncarnation(own: number, accused: number): number {
  return Math.min(WIRE_LIMITS.maxIncarnation, Math.max(own, accused) + 1);
}
