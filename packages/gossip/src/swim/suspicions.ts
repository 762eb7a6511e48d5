import type { GossipHost } from "../gossip-host.js";
import type { MemberRecord } from "../members/member.js";
import { MessageType } from "../wire/message-type.js";
import { expectedConfirmations, suspicionTimeoutMs } from "./math.js";
import { Suspicion } from "./suspicion.js";

/** The suspicion timers of one member, one per suspect member. */
export class Suspicions {
  readonly #h: GossipHost;
  readonly #timers = new Map<string, Suspicion>();

  constructor(host: GossipHost) {
    this.#h = host;
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
        expected: c.lifeguardDogpile ? expectedConfirmations(c.suspicionMult, n) : 0,
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

  /**
   * Counts a confirmation; true if it is worth re-gossiping. Not once this member
   * has given its own word on the suspicion (started or confirmed it): the queue
   * holds one message per member, and relaying another's confirmation replaced our
   * own, which then reached no one else. With 3 survivors of 10, a survivor whose
   * probe raised a suspicion at the same moment as another's never heard the
   * second confirmation it needed, and waited out the longer timeout (up to 10 T
   * from suspicion to death instead of 4 T). Each confirmer gossips its own.
   */
  confirm(name: string, from: string): boolean {
    const s = this.#timers.get(name);
    if (s === undefined) return false;
    const self = this.#h.config.name;
    const own = from !== self && s.involves(self);
    return s.confirm(from) && !own;
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
