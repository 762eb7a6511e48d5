import type { GossipHost } from "../gossip-host.js";
import type { MemberRecord } from "../members/member.js";
import { MessageType } from "../wire/message-type.js";
import { expectedConfirmations, suspicionTimeoutMs } from "./math.js";
import { Suspicion } from "./suspicion.js";

/** The suspicion timers of one member, one per suspect member. */
export class Suspicions {
  readonly #h: GossipHost;
  readonly #timers = new Map<string, Suspicion>();
  readonly #answeringPeers: (except: readonly string[]) => number;

  /**
   * `answeringPeers(except)`: how many members other than `except` answered this
   * member's last request to them (the members that could still confirm a suspicion).
   */
  constructor(host: GossipHost, answeringPeers: (except: readonly string[]) => number = () => Infinity) {
    this.#h = host;
    this.#answeringPeers = answeringPeers;
  }

  /**
   * Dogpile: the confirmations worth waiting for, k = suspicionMult - 2, but no
   * more than the members that could give them: those that still answer us (not
   * the suspect, not the suspecter), and this member itself when another member
   * suspected first. After a correlated failure, or alone on its side of a
   * partition, a member has nobody left to confirm its suspicions, and waiting
   * for them only stretched each to the 6x maximum.
   */
  #expected(n: number, suspect: string, from: string): number {
    const c = this.#h.config;
    if (!c.lifeguardDogpile) return 0;
    const k = expectedConfirmations(c.suspicionMult, n);
    if (k === 0) return 0;
    const self = c.name;
    const confirmers = this.#answeringPeers([suspect, from, self]) + (from === self ? 0 : 1);
    return Math.min(k, confirmers);
  }

  start(record: MemberRecord, from: string): void {
    const h = this.#h;
    const c = h.config;
    h.stats.suspicions++;
    const n = h.membership.liveCount();
    const minMs = suspicionTimeoutMs(c.suspicionMult, n, c.probeIntervalMs);
    const { name, incarnation } = record;
    this.#timers.get(name)?.cancel();
    this.#timers.set(
      name,
      new Suspicion({
        clock: h.clock,
        from,
        expected: this.#expected(n, name, from),
        minMs,
        maxMs: c.lifeguardDogpile ? minMs * c.suspicionMaxTimeoutMult : minMs,
        yieldFirst: c.lifeguardAwareness,
        onTimeout: () => {
          this.#timers.delete(name);
          if (!h.isRunning()) return;
          const r = h.membership.get(name);
          if (r?.state !== "suspect" || r.incarnation !== incarnation) return;
          h.stats.deathsDeclared++;
          h.membership.applyDead({ type: MessageType.dead, name, incarnation, from: c.name });
        },
      }),
    );
  }

  confirm(name: string, from: string): boolean {
    return this.#timers.get(name)?.confirm(from) ?? false;
  }

  end(name: string): void {
    this.#timers.get(name)?.cancel();
    this.#timers.delete(name);
  }

  cancelAll(): void {
    for (const s of this.#timers.values()) s.cancel();
    this.#timers.clear();
  }
}
