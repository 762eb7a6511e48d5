import { AdminClient, CliError } from "./admin-client.js";
import { type CliOptions, parseArgs, USAGE, UsageError } from "./args.js";
import { call, capabilities, members, stats, statsTable, where } from "./commands.js";

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C) — ends `top`. */
  readonly interrupted: Promise<void>;
}

/** Runs `mesh` with `argv` (without node and script) and resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`mesh: ${error.message} (see mesh --help)\n`);
    return 2;
  }
  if (options.command === "help") {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const client = new AdminClient(options.admin, options.token);
  try {
    switch (options.command) {
      case "members":
        io.out(`${await members(client, options)}\n`);
        return 0;
      case "capabilities":
        io.out(`${await capabilities(client, options)}\n`);
        return 0;
      case "where":
        io.out(`${await where(client, options)}\n`);
        return 0;
      case "stats":
        io.out(`${await stats(client, options)}\n`);
        return 0;
      case "call":
        io.out(`${await call(client, options)}\n`);
        return 0;
      case "top":
        await top(client, options, io);
        return 0;
    }
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`mesh: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Redraws the stats table every interval; clears the screen between frames on a terminal. */
async function top(client: AdminClient, options: CliOptions, io: CliIo): Promise<void> {
  let stop = false;
  void io.interrupted.then(() => {
    stop = true;
  });
  const clear = process.stdout.isTTY === true && !options.json ? "\x1b[H\x1b[2J" : "";
  for (let frame = 0; !stop && (options.count === undefined || frame < options.count); frame++) {
    if (frame > 0) {
      await Promise.race([new Promise((resolve) => setTimeout(resolve, options.intervalMs)), io.interrupted]);
      if (stop) break;
    }
    const cluster = (await client.get("/api/cluster")) as Parameters<typeof statsTable>[0];
    if (options.json) io.out(`${JSON.stringify({ at: Date.now(), nodes: cluster.nodes })}\n`);
    else io.out(`${clear}mesh top — ${options.admin} — ${new Date().toISOString()}\n${statsTable(cluster)}\n\n`);
  }
}
