import { invalidArgument, MeshError } from "@mesh/interface";
import { boundedRendezvous } from "./bounded-rendezvous.js";
import type { Hasher } from "./hasher.js";
import { candidatesByCapability, type RingMember } from "./members.js";
import type { PlacementCandidate, PlacementStrategy } from "./placement.js";
import { DEFAULT_SHARD_COUNT, shardFor, validateShardCount } from "./shard-for.js";

export interface ShardTablesInit {
  /** From {@link createHasher}; used by {@link ShardTables.shardFor}. */
  readonly hasher: Hasher;
  /**
   * Shards per capability, an integer in 1..2^20; every node of a cluster must agree.
   * @default 4096
   */
  readonly shardCount?: number;
  /**
   * How shards are placed on the nodes of a capability; every node must agree.
   * @default boundedRendezvous
   */
  readonly strategy?: PlacementStrategy;
}

/** One shard whose owner changed; `undefined` when the capability appeared or vanished. */
export interface ShardMove {
  readonly shard: number;
  readonly from: string | undefined;
  readonly to: string | undefined;
}

/** What one {@link ShardTables.update} did to one capability. */
export interface CapabilityChange {
  readonly capability: string;
  /** Sorted names; empty if the capability is new. */
  readonly nodesBefore: readonly string[];
  /** Sorted names; empty if the capability is gone. */
  readonly nodesAfter: readonly string[];
  /** Shards whose owner changed, by ascending shard. May be empty (e.g. a weight change that moved nothing). */
  readonly moves: readonly ShardMove[];
}

interface CapabilityTable {
  readonly candidates: readonly PlacementCandidate[];
  readonly nodes: readonly string[];
  readonly owners: readonly string[];
}

const EMPTY: readonly string[] = Object.freeze([]);

/**
 * The per-capability placement tables of a cluster: for each capability, the owner
 * node of every shard among the members that have it. {@link ShardTables.update}
 * rebuilds only capabilities whose candidates or weights changed, and reports which
 * shards moved; {@link ShardTables.ownerOf} is a map lookup and an array index.
 * The tables depend only on the set of members and their weights, never on order.
 */
export class ShardTables {
  readonly shardCount: number;
  readonly strategy: PlacementStrategy;
  readonly #hasher: Hasher;
  readonly #tables = new Map<string, CapabilityTable>();
  // Owner arrays by capability, kept apart from #tables so ownerOf does one lookup.
  readonly #owners = new Map<string, readonly string[]>();
  #capabilities: readonly string[] = EMPTY;

  constructor(init: ShardTablesInit) {
    if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
    const { hasher, strategy } = init;
    if (typeof hasher?.hash32 !== "function") throw invalidArgument("hasher", "a Hasher from createHasher()", hasher);
    if (strategy !== undefined && (typeof strategy !== "object" || typeof strategy.buildTable !== "function")) {
      throw invalidArgument("strategy", "a PlacementStrategy", strategy);
    }
    this.shardCount = validateShardCount(init.shardCount ?? DEFAULT_SHARD_COUNT);
    this.strategy = strategy ?? boundedRendezvous;
    this.#hasher = hasher;
  }

  /** The shard of an actor id, 0 .. shardCount-1 (see {@link shardFor}). */
  shardFor(id: string): number {
    return shardFor(this.#hasher, id, this.shardCount);
  }

  /** The owner of `shard` for `capability`, or `undefined` if no member has the capability. O(1). */
  ownerOf(shard: number, capability: string): string | undefined {
    if (shard >>> 0 !== shard || shard >= this.shardCount) {
      throw invalidArgument("shard", `an integer from 0 to ${this.shardCount - 1}`, shard);
    }
    return this.#owners.get(capability)?.[shard];
  }

  /** The whole owner table of a capability (index = shard), for callers that cache it. */
  ownersOf(capability: string): readonly string[] | undefined {
    return this.#owners.get(capability);
  }

  /** Names of the members that have `capability`, sorted; empty if none. */
  nodesFor(capability: string): readonly string[] {
    return this.#tables.get(capability)?.nodes ?? EMPTY;
  }

  /** Every capability some member has, sorted, without duplicates. */
  capabilities(): readonly string[] {
    return this.#capabilities;
  }

  /** The shards `node` owns for `capability`, ascending. O(shardCount). */
  ownedShards(node: string, capability: string): number[] {
    const owners = this.#owners.get(capability);
    const shards: number[] = [];
    if (owners === undefined) return shards;
    for (let shard = 0; shard < owners.length; shard++) if (owners[shard] === node) shards.push(shard);
    return shards;
  }

  /**
   * Replaces the member set. Rebuilds only the capabilities whose candidates or
   * weights changed and returns one {@link CapabilityChange} per such capability,
   * sorted by capability; `[]` if nothing changed. Validates everything (and runs the
   * strategy) before changing any state, so a throw leaves the tables as they were.
   */
  update(members: readonly RingMember[]): CapabilityChange[] {
    const next = candidatesByCapability(members);
    const rebuilt = new Map<string, CapabilityTable>();
    for (const [capability, candidates] of next) {
      const current = this.#tables.get(capability);
      if (current !== undefined && sameCandidates(current.candidates, candidates)) continue;
      rebuilt.set(capability, this.#build(capability, candidates));
    }
    const removed = [...this.#tables.keys()].filter((capability) => !next.has(capability));

    const changes: CapabilityChange[] = [];
    for (const [capability, table] of rebuilt) {
      const before = this.#tables.get(capability);
      changes.push(change(capability, before, table));
      this.#tables.set(capability, table);
      this.#owners.set(capability, table.owners);
    }
    for (const capability of removed) {
      changes.push(change(capability, this.#tables.get(capability), undefined));
      this.#tables.delete(capability);
      this.#owners.delete(capability);
    }
    if (rebuilt.size > 0 || removed.length > 0) this.#capabilities = Object.freeze([...this.#tables.keys()].sort());
    return changes.sort((a, b) => (a.capability < b.capability ? -1 : 1));
  }

  #build(capability: string, candidates: readonly PlacementCandidate[]): CapabilityTable {
    const table = this.strategy.buildTable(this.shardCount, capability, candidates);
    const n = candidates.length;
    if (table?.length !== this.shardCount) {
      throw new MeshError(
        "MESH_ERR_INVALID_ARGUMENT",
        `placement strategy "${this.strategy.name}" returned a table of length ${table?.length} for "${capability}", expected ${this.shardCount}`,
        { details: { property: "strategy", strategy: this.strategy.name, capability } },
      );
    }
    const owners = new Array<string>(this.shardCount);
    for (let shard = 0; shard < this.shardCount; shard++) {
      const owner = candidates[table[shard] as number];
      if (owner === undefined) {
        throw new MeshError(
          "MESH_ERR_INVALID_ARGUMENT",
          `placement strategy "${this.strategy.name}" placed shard ${shard} of "${capability}" on node index ${table[shard]}, but there are ${n} candidates`,
          { details: { property: "strategy", strategy: this.strategy.name, capability, shard } },
        );
      }
      owners[shard] = owner.name;
    }
    return {
      candidates,
      nodes: Object.freeze(candidates.map((c) => c.name)),
      owners: Object.freeze(owners),
    };
  }
}

function sameCandidates(a: readonly PlacementCandidate[], b: readonly PlacementCandidate[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]?.name !== b[i]?.name || a[i]?.weight !== b[i]?.weight) return false;
  }
  return true;
}

function change(
  capability: string,
  before: CapabilityTable | undefined,
  after: CapabilityTable | undefined,
): CapabilityChange {
  const moves: ShardMove[] = [];
  const from = before?.owners;
  const to = after?.owners;
  const count = from?.length ?? to?.length ?? 0;
  for (let shard = 0; shard < count; shard++) {
    const a = from?.[shard];
    const b = to?.[shard];
    if (a !== b) moves.push(Object.freeze({ shard, from: a, to: b }));
  }
  return Object.freeze({
    capability,
    nodesBefore: before?.nodes ?? EMPTY,
    nodesAfter: after?.nodes ?? EMPTY,
    moves: Object.freeze(moves),
  });
}
