/** Command-line parsing for `mesh`: `mesh [options] <command> [arguments]`, options anywhere. */

export const COMMANDS = ["members", "capabilities", "where", "stats", "top", "call", "help"] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface CliOptions {
  readonly command: CommandName;
  readonly args: readonly string[];
  /** `host:port` of a node's admin endpoint. */
  readonly admin: string;
  readonly token: string | undefined;
  readonly json: boolean;
  /** `top`: refresh this many times, then exit (undefined: until Ctrl-C). */
  readonly count: number | undefined;
  /** `top`: refresh interval, in milliseconds. */
  readonly intervalMs: number;
}

/** The conventional admin endpoint. */
export const DEFAULT_ADMIN = "127.0.0.1:9464";

/** A usage mistake: printed with a hint and exit code 2. */
export class UsageError extends Error {}

const ARITY: Record<CommandName, number> = {
  members: 0,
  capabilities: 0,
  where: 2,
  stats: 0,
  top: 0,
  call: 4,
  help: 0,
};

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  let admin = env.MESH_ADMIN ?? DEFAULT_ADMIN;
  let token = env.MESH_ADMIN_TOKEN === "" ? undefined : env.MESH_ADMIN_TOKEN;
  let json = false;
  let count: number | undefined;
  let intervalMs = 1000;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--admin":
        admin = value();
        break;
      case "--token":
        token = value();
        break;
      case "--json":
        json = true;
        break;
      case "--count":
        count = positiveInteger(flag, value());
        break;
      case "--interval":
        intervalMs = positiveInteger(flag, value());
        break;
      case "-h":
      case "--help":
        positional.unshift("help");
        break;
      default:
        if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  const [name = "help", ...args] = positional;
  if (!(COMMANDS as readonly string[]).includes(name)) throw new UsageError(`unknown command "${name}"`);
  const command = name as CommandName;
  if (command !== "help" && args.length !== ARITY[command]) {
    throw new UsageError(`${command} takes ${ARITY[command]} argument(s), got ${args.length}`);
  }
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s/]+):\d{1,5}$/.test(admin)) {
    throw new UsageError(`--admin must be host:port, got "${admin}"`);
  }
  return { command, args, admin, token, json, count, intervalMs };
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

export const USAGE = `usage: mesh [--admin host:port] [--token T] [--json] <command>

commands:
  members                              the cluster's members and their states
  capabilities                         capabilities with their nodes, shards and actors
  where <capability> <id>              why an actor is where it is (shard, candidates, owner)
  stats                                calls, call rate and actors per node
  top [--count N] [--interval ms]      stats as a live table (Ctrl-C to quit)
  call <capability> <module> <id> <json>  calls an actor and prints its reply

options:
  --admin host:port   a node's admin endpoint (default ${DEFAULT_ADMIN}, or $MESH_ADMIN)
  --token T           bearer token of the endpoint (or $MESH_ADMIN_TOKEN)
  --json              print the endpoint's JSON instead of a table`;
