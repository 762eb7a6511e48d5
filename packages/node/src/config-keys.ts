import { MeshError } from "@mesh/interface";

/**
 * The option names an `XxxInit` accepts, one line per option. Typed as a
 * record over the interface's keys, so the compiler rejects a list that lacks
 * an option of the interface or names one it does not have: adding an option
 * means adding its line here, and nothing else.
 */
export type KnownKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Names users carry over from libcluster's Gossip strategy (and its common
 * spellings), mapped to Mesh's. Edit distance alone would suggest
 * `multicastAddr` for `multicast_if`.
 */
const ALIASES: Readonly<Record<string, string>> = Object.freeze({
  multicastif: "multicastInterface",
  ifaddr: "ifAddr",
  multicastaddr: "multicastAddr",
  multicastttl: "multicastTtl",
  broadcastonly: "broadcastOnly",
});

/**
 * Refuses any own key of `init` that `known` does not list, with
 * MESH_ERR_INVALID_CONFIG naming it, its path (`gossip.probeIntervalMS`) and
 * the nearest valid name. A key set to `undefined` is refused too: it is a
 * typo all the same.
 */
export function checkKnownKeys(init: object, known: Readonly<Record<string, true>>, path = ""): void {
  for (const key of Object.keys(init)) {
    if (Object.hasOwn(known, key)) continue;
    const property = path + key;
    const suggestion = nearestName(key, Object.keys(known));
    const hint = suggestion === undefined ? "" : ` (did you mean "${path}${suggestion}"?)`;
    throw new MeshError("MESH_ERR_INVALID_CONFIG", `unknown option "${property}"${hint}`, {
      details: {
        property,
        ...(suggestion === undefined ? {} : { suggestion: path + suggestion }),
      },
    });
  }
}

/**
 * The candidate closest to `name`, or undefined when none is close enough to be
 * a plausible typo. Compares case-insensitively with `_` and `-` removed, by
 * Levenshtein distance; a name that is an abbreviation of a candidate (its
 * letters in order, same first three) counts as distance 2.
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const typed = normalise(name);
  const alias = ALIASES[typed];
  if (alias !== undefined && candidates.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const target = normalise(candidate);
    let distance = levenshtein(typed, target);
    if (distance > 2 && typed.length >= 3 && target.startsWith(typed.slice(0, 3)) && isSubsequence(typed, target)) {
      distance = 2;
    }
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Beyond a third of the name's length a "suggestion" is noise.
  return bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (let j = 0; j < long.length && i < short.length; j++) if (long[j] === short[i]) i++;
  return i === short.length;
}

/** Classic two-row dynamic programme; option names are short. */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
