/**
 * Command-line options of the local cluster script, parsed by hand from process.argv
 * (`--name value` or `--name=value`), validated, and documented in {@link USAGE}.
 */

/** The seed's example: node1 [game], node2 [chat], node3 [game, chat, payment]. */
export const DEFAULT_NODES = "node1=game;node2=chat;node3=game,chat,payment";
/** libcluster Gossip's default port and group (the seed page's configuration). */
export const DEFAULT_PORT = 45892;
export const DEFAULT_MULTICAST_ADDR = "230.1.1.251";
/** Actors activated per capability by the drive. */
export const DEFAULT_IDS = 300;
/** How long the nodes get to see each other before the script gives up, in ms. */
export const DEFAULT_CONVERGE_TIMEOUT_MS = 30_000;
/** How often --keep-running drives the calls again and reprints the table, in ms. */
export const DEFAULT_INTERVAL_MS = 5_000;
/** SWIM probe interval of the children, in ms ("local" preset). */
export const DEFAULT_PROBE_INTERVAL_MS = 500;

export interface NodePlan {
  readonly name: string;
  readonly capabilities: readonly string[];
}

export interface ClusterOptions {
  readonly help: boolean;
  readonly nodes: readonly NodePlan[];
  readonly ids: number;
  readonly port: number;
  readonly multicastAddr: string;
  /** Undefined: the script draws a fresh random one, so two runs never merge. */
  readonly secret: string | undefined;
  readonly keepRunning: boolean;
  readonly intervalMs: number;
  readonly convergeTimeoutMs: number;
  readonly probeIntervalMs: number;
}

export const USAGE = `Usage: pnpm cluster [-- options]   (or: node scripts/dist/cluster.js [options])

Starts a local Mesh cluster as separate OS processes on loopback (multicast discovery
pinned to 127.0.0.1), drives calls on every capability from every node, and prints how
many actors live on each node, per capability, with a verdict per capability.

Options:
  --nodes <spec>             nodes and their capabilities, "name=cap,cap;name=cap"
                             (default "${DEFAULT_NODES}")
  --ids <n>                  actors per capability to call (default ${DEFAULT_IDS})
  --port <n>                 multicast discovery port (default ${DEFAULT_PORT})
  --multicast-addr <ip>      multicast group (default ${DEFAULT_MULTICAST_ADDR})
  --secret <s>               cluster secret (default: a fresh random one per run,
                             so two runs on the same group never merge)
  --probe-interval-ms <n>    SWIM probe interval of the nodes (default ${DEFAULT_PROBE_INTERVAL_MS})
  --converge-timeout-ms <n>  give up if the nodes do not all see each other by then
                             (default ${DEFAULT_CONVERGE_TIMEOUT_MS})
  --keep-running             stay up until Ctrl-C, calling again and reprinting the
                             table every --interval-ms
  --interval-ms <n>          reprint period with --keep-running (default ${DEFAULT_INTERVAL_MS})
  -h, --help                 print this help

Exit status: 0 when every capability's actors live only on nodes that have it;
1 when placement is wrong, a call fails, or the nodes do not converge in time;
2 on a usage error. Ctrl-C stops every process the script started.`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const NAME = /^[A-Za-z0-9_.@-]+$/;

/** Parses "node1=game;node2=chat;node3=game,chat,payment". */
export function parseNodes(spec: string): NodePlan[] {
  const nodes: NodePlan[] = [];
  for (const part of spec.split(";")) {
    const entry = part.trim();
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    const name = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    if (!NAME.test(name)) throw new UsageError(`--nodes: bad node name ${JSON.stringify(name)} in "${entry}"`);
    if (nodes.some((n) => n.name === name)) throw new UsageError(`--nodes: node ${name} is named twice`);
    const list = eq < 0 ? "" : entry.slice(eq + 1);
    const capabilities = [
      ...new Set(
        list
          .split(",")
          .map((c) => c.trim())
          .filter((c) => c !== ""),
      ),
    ];
    for (const c of capabilities) {
      if (!NAME.test(c)) throw new UsageError(`--nodes: bad capability ${JSON.stringify(c)} of ${name}`);
    }
    nodes.push({ name, capabilities });
  }
  if (nodes.length === 0) throw new UsageError("--nodes: no node given");
  return nodes;
}

function integer(option: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${option} must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function ipv4Multicast(option: string, value: string): string {
  const parts = value.split(".");
  const ok =
    parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255) && Number(parts[0]) >= 224;
  if (!ok || Number(parts[0]) > 239) throw new UsageError(`${option} must be an IPv4 multicast group, got ${value}`);
  return value;
}

const VALUED = new Set([
  "--nodes",
  "--ids",
  "--port",
  "--multicast-addr",
  "--secret",
  "--probe-interval-ms",
  "--converge-timeout-ms",
  "--interval-ms",
]);
const FLAGS = new Set(["--keep-running", "--help", "-h"]);

/** Parses the script's arguments (without node and the script path). Throws UsageError. */
export function parseArgs(argv: readonly string[]): ClusterOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue; // pnpm passes it through
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    if (FLAGS.has(name)) {
      if (name !== arg) throw new UsageError(`${name} takes no value`);
      flags.add(name === "-h" ? "--help" : name);
    } else if (VALUED.has(name)) {
      const value = name !== arg ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  const get = (name: string): string | undefined => values.get(name);
  const secret = get("--secret");
  if (secret === "") throw new UsageError("--secret must not be empty");
  return {
    help: flags.has("--help"),
    nodes: parseNodes(get("--nodes") ?? DEFAULT_NODES),
    ids: integer("--ids", get("--ids") ?? String(DEFAULT_IDS), 1, 1_000_000),
    port: integer("--port", get("--port") ?? String(DEFAULT_PORT), 1, 65_535),
    multicastAddr: ipv4Multicast("--multicast-addr", get("--multicast-addr") ?? DEFAULT_MULTICAST_ADDR),
    secret,
    keepRunning: flags.has("--keep-running"),
    intervalMs: integer("--interval-ms", get("--interval-ms") ?? String(DEFAULT_INTERVAL_MS), 100, 3_600_000),
    convergeTimeoutMs: integer(
      "--converge-timeout-ms",
      get("--converge-timeout-ms") ?? String(DEFAULT_CONVERGE_TIMEOUT_MS),
      100,
      3_600_000,
    ),
    probeIntervalMs: integer(
      "--probe-interval-ms",
      get("--probe-interval-ms") ?? String(DEFAULT_PROBE_INTERVAL_MS),
      10,
      60_000,
    ),
  };
}
