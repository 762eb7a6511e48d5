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
  for (let i = 0; i < length; i++) out[i] = random.int(0, 255);
  return out;
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
      const out = new Uint8Array(base);
      const flips = random.int(1, 4);
      for (let i = 0; i < flips; i++) {
        const at = random.int(0, out.length - 1);
        out[at] = (out[at] as number) ^ (1 << random.int(0, 7));
      }
      return out;
    }
    case "truncate":
      return base.slice(0, random.int(0, base.length - 1));
    case "extend":
      return Uint8Array.from([...base, ...randomBytes(random, random.int(1, 64))]);
    case "splice": {
      const other = random.pick(corpus);
      const cut = random.int(1, Math.min(base.length, other.length) - 1);
      const out = Uint8Array.from([...base.subarray(0, cut), ...other.subarray(cut)]);
      if (out.length === base.length && out.every((b, i) => b === base[i])) out[0] = (out[0] as number) ^ 0xff;
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
