import type { AdminMember, AdminSource, Explanation, ShardOwnership } from "./admin-source.js";
import type { CallRecorder } from "./call-recorder.js";

/** What one node reports about itself (GET /api/local); the cluster view gathers these from every admin endpoint. */
export interface LocalReport {
  readonly node: string;
  readonly calls: number;
  readonly callsPerSecond: number;
  readonly activeActors: number;
  readonly actorsByCapability: Readonly<Record<string, number>>;
}

export interface NodeReport extends Partial<LocalReport> {
  /** False when the node has no admin endpoint or it did not answer in time. */
  readonly reachable: boolean;
}

export interface CapabilityView {
  readonly capability: string;
  readonly nodes: readonly string[];
  /**
   * Per shard, the index into `nodes` of its owner (-1: none). In the live feed,
   * null when the map is the same as in the previous update.
   */
  readonly owners: readonly number[] | null;
  readonly shardsByNode: Readonly<Record<string, number>>;
  readonly actorsByNode: Readonly<Record<string, number>>;
}

export interface ClusterView {
  readonly node: string;
  readonly at: number;
  readonly members: readonly AdminMember[];
  readonly nodes: Readonly<Record<string, NodeReport>>;
  readonly capabilities: readonly CapabilityView[];
}

/** Where an explained actor is active, as its owner says. */
export interface ExplainView extends Explanation {
  /** Node → modules the id is active under there (the owner's answer; this node's own too). */
  readonly active: Readonly<Record<string, readonly string[]>>;
}

/** GETs `path` from the admin endpoint at `address`; undefined when it does not answer in time. */
export type PeerFetch = (address: string, path: string) => Promise<unknown>;

/** Calls per second of this node, from the recorder's total sampled once a second. */
export class RateSampler {
  #lastTotal = 0;
  #lastAt: number | undefined;
  #rate = 0;
  constructor(readonly recorder: CallRecorder) {}

  sample(nowMs: number): void {
    const total = this.recorder.total();
    if (this.#lastAt !== undefined && nowMs > this.#lastAt) {
      this.#rate = ((total - this.#lastTotal) * 1000) / (nowMs - this.#lastAt);
    }
    this.#lastTotal = total;
    this.#lastAt = nowMs;
  }

  get rate(): number {
    return this.#rate;
  }
}

export function localReport(source: AdminSource, recorder: CallRecorder, sampler: RateSampler): LocalReport {
  const stats = source.stats();
  return {
    node: source.name,
    calls: recorder.total(),
    callsPerSecond: Math.round(sampler.rate * 10) / 10,
    activeActors: stats.activeActors,
    actorsByCapability: stats.actorsByCapability,
  };
}

const isLive = (m: AdminMember): boolean => m.state === "alive" || m.state === "suspect";

/** This node's view of the cluster, with each live peer's own report fetched from its admin endpoint. */
export async function clusterView(
  source: AdminSource,
  local: LocalReport,
  fetchPeer: PeerFetch,
  nowMs: number,
): Promise<ClusterView> {
  const members = source.members();
  const nodes: Record<string, NodeReport> = { [source.name]: { reachable: true, ...local } };
  await Promise.all(
    members
      .filter((m) => m.name !== source.name && isLive(m))
      .map(async (m) => {
        const report = m.admin === undefined ? undefined : await fetchPeer(m.admin, "/api/local");
        nodes[m.name] = isReport(report) ? { reachable: true, ...report } : { reachable: false };
      }),
  );
  const capabilities = source.capabilities().map((capability): CapabilityView => {
    const ownership = source.ownership(capability);
    const { owners, shardsByNode } = summaryOf(ownership);
    const actorsByNode: Record<string, number> = {};
    for (const name of ownership.nodes) actorsByNode[name] = nodes[name]?.actorsByCapability?.[capability] ?? 0;
    return { capability, nodes: ownership.nodes, owners, shardsByNode, actorsByNode };
  });
  return { node: source.name, at: nowMs, members, nodes, capabilities };
}

export async function explainView(
  source: AdminSource,
  capability: string,
  id: string,
  fetchPeer: PeerFetch,
): Promise<ExplainView> {
  const explanation = source.explain(capability, id);
  const active: Record<string, readonly string[]> = {};
  if (explanation.activeHere.length > 0) active[source.name] = explanation.activeHere;
  const owner = explanation.owner;
  if (owner !== undefined && owner !== source.name) {
    const admin = source.members().find((m) => m.name === owner)?.admin;
    const query = `/api/active?capability=${encodeURIComponent(capability)}&id=${encodeURIComponent(id)}`;
    const answer = admin === undefined ? undefined : await fetchPeer(admin, query);
    const modules = (answer as { modules?: unknown } | undefined)?.modules;
    if (Array.isArray(modules) && modules.length > 0) active[owner] = modules.filter((m) => typeof m === "string");
  }
  return { ...explanation, active };
}

/** A source returns the same ownership object while the tables stay the same: summarise it once. */
const summaries = new WeakMap<ShardOwnership, { owners: number[]; shardsByNode: Record<string, number> }>();

function summaryOf(ownership: ShardOwnership): { owners: number[]; shardsByNode: Record<string, number> } {
  let summary = summaries.get(ownership);
  if (summary === undefined) {
    const shardsByNode: Record<string, number> = {};
    for (const name of ownership.nodes) shardsByNode[name] = 0;
    for (const i of ownership.owners) {
      const name = ownership.nodes[i];
      if (name !== undefined) shardsByNode[name] = (shardsByNode[name] ?? 0) + 1;
    }
    summary = { owners: Array.from(ownership.owners), shardsByNode };
    summaries.set(ownership, summary);
  }
  return summary;
}

function isReport(value: unknown): value is LocalReport {
  return typeof value === "object" && value !== null && typeof (value as LocalReport).node === "string";
}
