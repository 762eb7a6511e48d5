/**
 * The local cluster: the seed's example as separate OS processes on loopback.
 *
 *   pnpm cluster                      # node1 [game], node2 [chat], node3 [game, chat, payment]
 *   pnpm cluster -- --nodes "a=game;b=game,chat" --ids 1000 --keep-running
 *
 * It forks one `cluster-node.js` per node; the nodes find each other by multicast
 * pinned to 127.0.0.1 (port 45892, group 230.1.1.251 by default) with a fresh random
 * secret per run, so two runs at once never merge. Once every node sees every other,
 * each node calls a share of the actors of every capability, and the script prints how
 * many actors live on each node per capability, with a verdict line per capability.
 * Exit status 0 when placement is right, 1 when it is wrong, a call failed or the nodes
 * did not converge, 2 on a usage error. Ctrl-C (or SIGTERM) stops every process it
 * started, by PID: a graceful stop first, SIGKILL after a timeout.
 */
import { randomBytes } from "node:crypto";
import { moduleFor } from "./cluster-actors.js";
import { type ClusterOptions, parseArgs, USAGE, UsageError } from "./cluster-args.js";
import { checkRouting, collectActors, driveCalls, killAll, startNodes, waitConverged } from "./cluster-harness.js";
import type { ClusterProcess } from "./cluster-process.js";
import { clusterCapabilities, countPlacement, formatTable, judge } from "./cluster-report.js";

/** Time a child gets to stop gracefully on Ctrl-C before it is SIGKILLed, in ms. */
const SHUTDOWN_STOP_TIMEOUT_MS = 5_000;

let procs: ClusterProcess[] = [];
let lastOk = false;
let shuttingDown = false;

const log = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

async function shutdown(signal: NodeJS.Signals, keepRunning: boolean): Promise<never> {
  if (shuttingDown) {
    // A second Ctrl-C: no more waiting.
    await killAll(procs);
    process.exit(130);
  }
  shuttingDown = true;
  log(`\n${signal}: stopping ${procs.filter((p) => p.running).length} node processes…`);
  await stopAndReport();
  // Ctrl-C is how --keep-running ends: then the exit status is the last verdict.
  process.exit(keepRunning && lastOk ? 0 : signal === "SIGINT" ? 130 : 143);
}

/** Stops every child (graceful, then SIGKILL after a timeout) and says how each one ended. */
async function stopAndReport(): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      const wasRunning = p.running;
      const { graceful } = await p.stop(SHUTDOWN_STOP_TIMEOUT_MS);
      const { code, signal } = await p.exited;
      const how = !wasRunning
        ? `had already exited (${signal ?? `code ${code}`})`
        : graceful
          ? "stopped gracefully"
          : `killed (${signal ?? `code ${code}`}) after ${SHUTDOWN_STOP_TIMEOUT_MS} ms`;
      log(`  ${p.name} (pid ${p.pid}) ${how}`);
    }),
  );
}

/** Lines naming every node whose own stats().actorsByCapability differs from the actors it reported. */
async function statsMismatches(rows: ReturnType<typeof countPlacement>): Promise<string[]> {
  const mismatches: string[] = [];
  for (const p of procs.filter((q) => q.running)) {
    const stats = await p.request({ op: "stats" }).catch(() => undefined);
    const byCapability = (stats?.actorsByCapability ?? {}) as Record<string, number>;
    for (const row of rows) {
      const counted = row.byNode[p.name];
      const reported = byCapability[row.capability] ?? 0;
      if (counted !== undefined && counted !== reported) {
        mismatches.push(`${p.name} ${row.capability}: stats ${reported}, actors ${counted}`);
      }
    }
  }
  return mismatches;
}

/** One round: call every capability from every node, then report where the actors live. */
async function round(options: ClusterOptions): Promise<boolean> {
  const capabilities = clusterCapabilities(options.nodes);
  const callers = procs.filter((p) => p.running);
  const t0 = performance.now();
  const outcomes = await driveCalls(callers, capabilities, options.ids);
  const elapsed = performance.now() - t0;
  let calls = 0;
  const failures: Record<string, number> = {};
  const perCaller: string[] = [];
  for (const [caller, list] of outcomes) {
    calls += list.length;
    perCaller.push(`${caller} ${list.length}`);
    for (const o of list) if (!o.ok) failures[o.error.code] = (failures[o.error.code] ?? 0) + 1;
  }
  const failed = Object.values(failures).reduce((a, b) => a + b, 0);
  log(
    `${calls} calls (${capabilities.length} capabilities x ${options.ids} ids) from ${perCaller.join(", ")} ` +
      `in ${elapsed.toFixed(0)} ms; failed: ${failed === 0 ? "none" : JSON.stringify(failures)}`,
  );
  const rows = countPlacement(options.nodes, await collectActors(procs), moduleFor);
  log();
  log(formatTable(rows, options.nodes));
  log("(· the node lacks the capability; ! actors where there should be none; down: no answer)");
  log();
  const verdicts = rows.map((row) => judge(row, options.nodes, options.ids));
  for (const v of verdicts) log(v.line);
  const mismatches = await statsMismatches(rows);
  log(
    mismatches.length === 0
      ? "stats      OK    every node's stats().actorsByCapability matches the table"
      : `stats      WRONG ${mismatches.join("; ")}`,
  );
  const routing = await checkRouting(callers, capabilities, options.ids, outcomes);
  const routingOk = routing.disagreements.length === 0 && routing.wrongReplies.length === 0;
  log(
    routingOk
      ? `routing    OK    every node computes the same owner for all ${routing.owners.size} actors; every reply came from it`
      : `routing    WRONG ${routing.disagreements.length} owner disagreements, ${routing.wrongReplies.length} replies ` +
          `from a non-owner: ${[...routing.disagreements, ...routing.wrongReplies].slice(0, 5).join("; ")}`,
  );
  return failed === 0 && routingOk && mismatches.length === 0 && verdicts.every((v) => v.ok);
}

async function main(): Promise<void> {
  let options: ClusterOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.help) {
    log(USAGE);
    return;
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => void shutdown(signal, options.keepRunning));
  }
  const secret = options.secret ?? randomBytes(16).toString("hex");
  log(`Mesh local cluster: ${options.nodes.length} node processes on loopback`);
  for (const n of options.nodes) log(`  ${n.name.padEnd(8)} [${n.capabilities.join(", ")}]`);
  log(
    `discovery: multicast ${options.multicastAddr}:${options.port} on 127.0.0.1, ` +
      `secret ${options.secret === undefined ? "random for this run" : "from --secret"}; ` +
      `SWIM preset "local", probe interval ${options.probeIntervalMs} ms`,
  );
  const t0 = performance.now();
  procs = await startNodes({
    nodes: options.nodes,
    network: {
      port: options.port,
      multicastAddr: options.multicastAddr,
      secret,
      gossip: { preset: "local", probeIntervalMs: options.probeIntervalMs },
    },
    onOutput: (node, line) => process.stderr.write(`[${node}] ${line}\n`),
  });
  log(
    `started: ${procs.map((p) => `${p.name} (pid ${p.pid})`).join(", ")} in ${(performance.now() - t0).toFixed(0)} ms`,
  );
  for (const p of procs) {
    p.on("exit", (code, signal) => {
      if (!shuttingDown) log(`!! ${p.name} (pid ${p.pid}) exited (${signal ?? `code ${code}`})`);
    });
  }
  const convergedMs = await waitConverged(procs, options.nodes, options.convergeTimeoutMs);
  log(`converged: every node sees every other alive, with its capabilities, after ${convergedMs.toFixed(0)} ms`);
  log();
  lastOk = await round(options);
  while (options.keepRunning) {
    log(`\n(--keep-running: next round in ${options.intervalMs} ms; Ctrl-C stops every node)`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    if (shuttingDown) return;
    log(`\n=== ${new Date().toISOString()} ===`);
    lastOk = await round(options).catch((error: unknown) => {
      log(`round failed: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    });
  }
  shuttingDown = true;
  log("\nstopping the node processes…");
  await stopAndReport();
  log(lastOk ? "\nplacement OK" : "\nplacement WRONG (see above)");
  process.exit(lastOk ? 0 : 1);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  shuttingDown = true;
  log("stopping the node processes…");
  await stopAndReport().catch(() => killAll(procs));
  process.exit(1);
});
