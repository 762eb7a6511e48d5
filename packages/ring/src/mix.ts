/**
 * Integer mixing for placement. These functions are part of the cluster protocol:
 * every process must compute the same placement from the same members, so they use
 * only 32-bit integer arithmetic (exact in every JavaScript engine), never
 * engine-dependent hashing. Changing any constant here re-places every shard.
 */

/** MurmurHash3's 32-bit finalizer: a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A 32-bit hash of a node or capability name: FNV-1a over the UTF-16 code units,
 * then {@link fmix32} so that names differing in one character get unrelated keys.
 * Computed N times per table build, so it needs no WebAssembly.
 */
export function nameHash32(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Multiplier that spreads consecutive shard numbers over all 32 bits (2^32 / golden ratio). */
export const SHARD_SPREAD = 0x9e3779b1;

/**
 * The per-(capability, node) key that seeds a node's scores: the node's name hash
 * mixed with the capability's, so the same nodes get independent placements in
 * different capabilities (a node that is lucky in "game" is not also lucky in "chat").
 */
export function placementKey(capabilityHash: number, nodeName: string): number {
  return fmix32(nameHash32(nodeName) ^ Math.imul(capabilityHash, 0x27d4eb2f));
}

/**
 * The node's random draw for a shard, a uint32: `fmix32(key XOR shard * SHARD_SPREAD)`.
 * `shardTerm` is `Math.imul(shard, SHARD_SPREAD)`, hoisted out of the node loop.
 * Interpreted as u = (draw + 0.5) / 2^32, a uniform number strictly inside (0, 1).
 */
export function draw(key: number, shardTerm: number): number {
  return fmix32(key ^ shardTerm);
}

/** 2^-32: a draw d stands for u = (d + 0.5) * 2^-32, strictly inside (0, 1). */
// Written as a division: `**` is "implementation-approximated" in the spec; / is exact here.
const UNIT = 1 / 4294967296;

/** Table resolution: ln(m) for m in [1, 2] is tabulated at 2^10 + 1 points. */
const LN_TABLE_BITS = 10;
const LN_TABLE_SIZE = 1 << LN_TABLE_BITS;
const LN2 = lnSeries(2);

/**
 * ln(m) for m in [1, 2] as 2 atanh((m-1)/(m+1)) = 2 sum z^(2k+1)/(2k+1), z <= 1/3.
 * Only +, *, / (correctly rounded in every engine), so the table is bit-identical in
 * every process, unlike Math.log, whose last bit the spec leaves to the engine.
 */
function lnSeries(m: number): number {
  const z = (m - 1) / (m + 1);
  const z2 = z * z;
  let term = z;
  let sum = 0;
  for (let k = 0; k < 40; k++) {
    sum += term / (2 * k + 1);
    term *= z2;
  }
  return 2 * sum;
}

const LN_TABLE = new Float64Array(LN_TABLE_SIZE + 1);
for (let i = 0; i <= LN_TABLE_SIZE; i++) LN_TABLE[i] = lnSeries(1 + i / LN_TABLE_SIZE);

// 2^-e for the exponents e = -1 .. 31 of a draw (index e + 1), by exact halving.
const INV_POW2 = new Float64Array(33);
INV_POW2[0] = 2;
for (let i = 1; i < 33; i++) INV_POW2[i] = (INV_POW2[i - 1] as number) / 2;

/**
 * ln(u) for the draw's u = (draw + 0.5) / 2^32, in (-22.9, 0). Computed as
 * (e - 32) ln 2 + ln(m) with x = draw + 0.5 = m 2^e, m in [1, 2), and ln(m) linearly
 * interpolated in a 1025-point table: absolute error < 1.2e-7, non-decreasing in the
 * draw (a piecewise-linear interpolation of an increasing function), identical in
 * every process, and cheaper than Math.log in the inner loop (a weighted 4096 x 100
 * build took ~10 ms with Math.log, ~5 ms with this, before scoreCeiling pruning).
 */
export function lnUnit(drawValue: number): number {
  const e = drawValue === 0 ? -1 : 31 - Math.clz32(drawValue);
  const t = ((drawValue + 0.5) * (INV_POW2[e + 1] as number) - 1) * LN_TABLE_SIZE;
  const k = t | 0;
  const lo = LN_TABLE[k] as number;
  return (e - 32) * LN2 + lo + (t - k) * ((LN_TABLE[k + 1] as number) - lo);
}

/**
 * The weighted rendezvous score to maximise: ln(u) / weight, given 1 / weight. It
 * orders nodes exactly as -weight / ln(u) does (both sides negative-reciprocal), so
 * node i wins a shard with probability weight_i / totalWeight, independently per shard.
 */
export function weightedScore(drawValue: number, inverseWeight: number): number {
  return lnUnit(drawValue) * inverseWeight;
}

/**
 * Linear interpolation of the concave ln lies below it, so lnUnit(d) <= ln(u) up to
 * rounding; 2.5e-7 is a generous bound on |lnUnit - ln| (the interpolation error is
 * at most h^2/8 = 1.2e-7 for h = 2^-10).
 */
const LN_UNIT_SLACK = 2.5e-7;

/**
 * An upper bound on weightedScore(draw, inverseWeight) without the logarithm, from
 * ln(u) <= u - 1. Rounding a product by a positive number is monotone, so the bound
 * holds for the computed values too. A node whose ceiling is <= the best score so
 * far cannot win (ties go to the earlier node), so the strategies skip its
 * logarithm: the tables are bit-identical to computing every score, and a weighted
 * build costs about what an equal-weight one does (only ~ln N logs per shard).
 */
export function scoreCeiling(drawValue: number, inverseWeight: number): number {
  return ((drawValue + 0.5) * UNIT - 1 + LN_UNIT_SLACK) * inverseWeight;
}
