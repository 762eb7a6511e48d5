/** Mutations for fuzzing decoders: flips, truncations, extensions, splices, random bytes, exact replays. */
import type { SeededRandom } from "@mesh/testing";

export type MutationKind = "flip" | "truncate" | "extend" | "splice" | "random" | "header" | "replay";

export const MUTATION_KINDS: readonly MutationKind[] = [
  "flip",
  "truncate",
  "extend",
  "splice",
  "random",
  "header",
  "replay",
];

function randomBytes(random: SeededRandom, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const word = (random.next() * 2 ** 32) >>> 0; // four bytes per draw
    for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return out;
}

function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** One mutated copy of a corpus entry (never the corpus entry itself, except for "replay"). */
export function mutate(
  random: SeededRandom,
  corpus: readonly Uint8Array[],
  kind: MutationKind,
  maxLength: number,
): Uint8Array {
  const base = random.pick(corpus);
  switch (kind) {
    case "flip": {
      // Distinct positions, so flips never cancel out into an exact copy.
      const out = new Uint8Array(base);
      const positions = new Set<number>();
      const flips = Math.min(random.int(1, 4), out.length);
      while (positions.size < flips) positions.add(random.int(0, out.length - 1));
      for (const at of positions) out[at] = (out[at] as number) ^ (1 << random.int(0, 7));
      return out;
    }
    case "truncate":
      return base.slice(0, random.int(0, base.length - 1));
    case "extend":
      return concat(base, randomBytes(random, random.int(1, 64)));
    case "splice": {
      const other = random.pick(corpus);
      const cut = random.int(1, Math.min(base.length, other.length) - 1);
      const out = concat(base.subarray(0, cut), other.subarray(cut));
      // Entries sharing a prefix (one sender's header) splice into an exact copy: make it differ.
      if (same(out, base) || same(out, other)) out[out.length - 1] = (out[out.length - 1] as number) ^ 0xff;
      return out;
    }
    case "random":
      return randomBytes(random, random.int(0, maxLength));
    case "header": {
      const out = new Uint8Array(base);
      const at = random.int(0, Math.min(20, out.length - 1));
      out[at] = (out[at] as number) ^ random.int(1, 255);
      return out;
    }
    case "replay":
      return new Uint8Array(base);
  }
}
