/**
 * A ring over the members, ordered by a hash of their names, that every member
 * computes alike from its own table. Each member gives every other probe to its
 * successor on the ring, so each member is probed by its predecessor once every
 * two periods, whatever the shuffles of the round-robin (see the prober).
 *
 * Why: with independent shuffled rounds (SWIM, memberlist) the probes of one
 * member arrive from the whole cluster at random, about one per period, so the
 * time from a crash to its first probe is nearly exponential: at N = 50 its p99
 * was about 5 periods, and that tail alone pushed kill -> dead past 13 T. A
 * predecessor bounds it at two periods. The other probes still go round-robin,
 * so completeness does not depend on the members agreeing on the ring (Rapid's
 * monitoring rings serve the same purpose with k observers per member).
 */

/** 32-bit FNV-1a of a name: cheap, stable across members and processes. */
export function ringHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Ring position of `name` relative to `from`: (hash - fromHash) mod 2^32, ties broken by name. */
function ahead(fromHash: number, hash: number): number {
  return (hash - fromHash + 0x1_0000_0000) % 0x1_0000_0000;
}

/**
 * Finds the successor of `self` among `candidates` (self excluded by the caller).
 * Hashes are cached per name; the cache is bounded by the caller's table size.
 */
export class RingSuccessor {
  readonly #hashes = new Map<string, number>();
  readonly #selfHash: number;
  readonly self: string;

  constructor(self: string) {
    this.self = self;
    this.#selfHash = ringHash(self);
  }

  #hash(name: string): number {
    let h = this.#hashes.get(name);
    if (h === undefined) {
      h = ringHash(name);
      this.#hashes.set(name, h);
    }
    return h;
  }

  /** The first candidate after this member on the ring, or undefined if there is none. */
  successor(candidates: Iterable<string>): string | undefined {
    let best: string | undefined;
    let bestAhead = Number.POSITIVE_INFINITY;
    for (const name of candidates) {
      if (name === this.self) continue;
      const a = ahead(this.#selfHash, this.#hash(name));
      // A name hashing like ours sorts after every other (distance 2^32), ties by name.
      const d = a === 0 ? 0x1_0000_0000 : a;
      if (d < bestAhead || (d === bestAhead && best !== undefined && name < best)) {
        best = name;
        bestAhead = d;
      }
    }
    return best;
  }

  /** Forgets cached hashes once the cache outgrows `limit` (members come and go). */
  trim(limit: number): void {
    if (this.#hashes.size > limit) this.#hashes.clear();
  }
}
