import { invalidArgument } from "@mesh/interface";
import type { Hasher } from "./hasher.js";

/** Shards per capability unless configured; a power of two, so `hash mod count` has no bias. */
export const DEFAULT_SHARD_COUNT = 4096;

/** 2^20: a table of this many shards is 4 MiB per capability, the largest we accept. */
export const MAX_SHARD_COUNT = 1_048_576;

/** Throws MESH_ERR_INVALID_ARGUMENT unless `value` is an integer in 1..2^20. */
export function validateShardCount(value: unknown, property = "shardCount"): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_SHARD_COUNT) {
    throw invalidArgument(property, `an integer from 1 to ${MAX_SHARD_COUNT}`, value);
  }
  return value;
}

/**
 * The shard of an actor id: `xxh32(utf8(id), seed 0) mod shardCount`, in
 * `0 .. shardCount-1`, identical in every process. For a shard count that is not
 * a power of two the modulo bias is at most shardCount / 2^32 (< 0.03% at 2^20).
 *
 * `shardCount` is trusted here (validate it once with {@link validateShardCount});
 * this is a hot path.
 */
export function shardFor(hasher: Hasher, id: string, shardCount: number = DEFAULT_SHARD_COUNT): number {
  if (typeof id !== "string") throw invalidArgument("id", "a string", id);
  return hasher.hash32(id) % shardCount;
}
