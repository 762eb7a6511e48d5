/**
 * @packageDocumentation
 * Per-capability shard tables for Mesh. An actor id hashes (XXH32, seed 0) to one of
 * `shardCount` shards (default 4096); for each capability, a table maps every shard
 * to the member that owns it among the members that have the capability. Placement
 * is pluggable; the default, bounded-load weighted rendezvous hashing, keeps every
 * node within 1.1x its fair share and moves about 1/(N+1) of the shards when node
 * N+1 joins. Every process computes the same tables from the same set of members.
 */
export {
  type BoundedRendezvousInit,
  boundedCaps,
  boundedRendezvous,
  createBoundedRendezvous,
  DEFAULT_LOAD_FACTOR,
} from "./bounded-rendezvous.js";
export { createHasher, HASH_SEED, type Hasher } from "./hasher.js";
export { candidatesByCapability, DEFAULT_WEIGHT, type RingMember } from "./members.js";
export {
  type PerShardPlacement,
  type PlacementCandidate,
  type PlacementStrategy,
  perShardStrategy,
} from "./placement.js";
export { placementScores } from "./placement-score.js";
export { rendezvous } from "./rendezvous.js";
export { DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT, shardFor, validateShardCount } from "./shard-for.js";
export { type CapabilityChange, type ShardMove, ShardTables, type ShardTablesInit } from "./shard-tables.js";
