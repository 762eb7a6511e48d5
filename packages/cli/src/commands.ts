import type { AdminClient } from "./admin-client.js";
import { CliError } from "./admin-client.js";
import type { CliOptions } from "./args.js";
import { table } from "./table.js";

/** The shapes of the admin endpoint's answers that the CLI reads (see docs/observability.md). */
interface Member {
  name: string;
  state: string;
  incarnation: number;
  gossip: string;
  call?: string;
  admin?: string;
  capabilities: string[];
}
interface NodeReport {
  reachable: boolean;
  calls?: number;
  callsPerSecond?: number;
  activeActors?: number;
}
interface CapabilityView {
  capability: string;
  nodes: string[];
  shardsByNode: Record<string, number>;
  actorsByNode: Record<string, number>;
}
interface Cluster {
  node: string;
  members: Member[];
  nodes: Record<string, NodeReport>;
  capabilities: CapabilityView[];
}
interface Explain {
  capability: string;
  id: string;
  shard: number;
  shardCount: number;
  strategy: string;
  owner?: string;
  candidates: { node: string; weight: number; score: number }[];
  lastMovedAt?: number;
  lastMoveReason?: string;
  active: Record<string, string[]>;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

export async function members(client: AdminClient, options: CliOptions): Promise<string> {
  const cluster = (await client.get("/api/cluster")) as Cluster;
  if (options.json) return json(cluster.members);
  const rows = [...cluster.members]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => [m.name, m.gossip, m.state, String(m.incarnation), m.admin ?? "-", m.capabilities.join(",") || "-"]);
  return table(["NAME", "ADDRESS", "STATE", "INC", "ADMIN", "CAPABILITIES"], rows);
}

export async function capabilities(client: AdminClient, options: CliOptions): Promise<string> {
  const cluster = (await client.get("/api/cluster")) as Cluster;
  if (options.json) {
    return json(
      cluster.capabilities.map(({ capability, nodes, shardsByNode, actorsByNode }) => ({
        capability,
        nodes,
        shardsByNode,
        actorsByNode,
      })),
    );
  }
  const rows: string[][] = [];
  for (const c of cluster.capabilities) {
    for (const node of c.nodes) {
      rows.push([c.capability, node, String(c.shardsByNode[node] ?? 0), String(c.actorsByNode[node] ?? 0)]);
    }
  }
  return table(["CAPABILITY", "NODE", "SHARDS", "ACTORS"], rows);
}

export async function where(client: AdminClient, options: CliOptions): Promise<string> {
  const [capability, id] = options.args as [string, string];
  const x = (await client.get(
    `/api/explain?capability=${encodeURIComponent(capability)}&id=${encodeURIComponent(id)}`,
  )) as Explain;
  if (options.json) return json(x);
  const active = Object.entries(x.active).map(([node, modules]) => `${node} (${modules.join(", ")})`);
  const moved =
    x.lastMovedAt === undefined
      ? "not since the answering node started"
      : `${new Date(x.lastMovedAt).toISOString()} (${x.lastMoveReason ?? "unknown"})`;
  const lines = [
    `${capability}/${id}`,
    `  shard      ${x.shard} of ${x.shardCount}`,
    `  owner      ${x.owner ?? "none (no live node has the capability)"}`,
    `  active     ${active.length > 0 ? active.join("; ") : "no"}`,
    `  strategy   ${x.strategy}`,
    `  last move  ${moved}`,
    "",
    table(
      ["CANDIDATE", "WEIGHT", "SCORE", ""],
      x.candidates.map((c) => [c.node, String(c.weight), c.score.toFixed(4), c.node === x.owner ? "owner" : ""]),
    ),
  ];
  return lines.join("\n");
}

export function statsTable(cluster: Cluster): string {
  const rows = [...cluster.members]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => {
      const r = cluster.nodes[m.name];
      const known = r?.reachable === true;
      return [
        m.name,
        m.state,
        known ? String(r.calls ?? 0) : "-",
        known ? (r.callsPerSecond ?? 0).toFixed(1) : "-",
        known ? String(r.activeActors ?? 0) : "-",
      ];
    });
  return table(["NODE", "STATE", "CALLS", "CALLS/S", "ACTORS"], rows);
}

export async function stats(client: AdminClient, options: CliOptions): Promise<string> {
  const cluster = (await client.get("/api/cluster")) as Cluster;
  if (options.json) return json(cluster.nodes);
  return statsTable(cluster);
}

export async function call(client: AdminClient, options: CliOptions): Promise<string> {
  const [capability, module, id, text] = options.args as [string, string, string, string];
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new CliError(`the payload is not JSON: ${text}`);
  }
  const reply = (await client.post("/api/call", { capability, module, id, payload })) as {
    node: string;
    response: unknown;
  };
  if (options.json) return json(reply);
  return `${JSON.stringify(reply.response)}\t(from ${reply.node})`;
}
