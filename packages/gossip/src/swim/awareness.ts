/**
 * Lifeguard local health awareness (memberlist awareness.go). A score in
 * [0, max - 1] goes up when this member sees signs that it, not its peers, is
 * slow: probes failing with no nack from the indirect probers, having to refute
 * a suspicion of itself. It goes down with each successful probe. The probe
 * interval and timeout are multiplied by (score + 1), so a struggling member
 * slows down instead of accusing healthy peers.
 */
export class Awareness {
  readonly #max: number;
  readonly #enabled: boolean;
  #score = 0;

  /** `max` is awarenessMaxMultiplier; disabled keeps the score at 0 (plain SWIM). */
  constructor(max: number, enabled = true) {
    this.#max = max;
    this.#enabled = enabled;
  }

  get score(): number {
    return this.#score;
  }

  applyDelta(delta: number): void {
    if (!this.#enabled) return;
    this.#score = clampScore(this.#score + delta, this.#max);
  }

  scale(timeoutMs: number): number {
    return scaleByHealth(timeoutMs, this.#score);
  }
}

export function clampScore(score: number, max: number): number {
  return Math.min(Math.max(score, 0), max - 1);
}

/** timeout * (score + 1). */
export function scaleByHealth(timeoutMs: number, score: number): number {
  return timeoutMs * (score + 1);
}
