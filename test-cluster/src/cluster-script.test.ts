/**
 * The cluster script as a user runs it, and its child as the script drives it:
 * - a child answers malformed commands with errors and keeps serving;
 * - two runs at once on the same port and group (each with its own random secret)
 *   never merge, and each prints the seed's placement with OK verdicts, exit 0;
 * - SIGINT stops every process the script started; a SIGKILLed script's children
 *   exit by themselves (IPC disconnect).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { waitFor } from "@mesh/testing";
import { killAll, startNodes } from "../../scripts/dist/cluster-harness.js";
import { ChildCommandError, type ClusterProcess } from "../../scripts/dist/cluster-process.js";
import { privateNetwork } from "./support/loopback.js";

const SCRIPT = fileURLToPath(new URL("../../scripts/dist/cluster.js", import.meta.url));

/** Every PID a test saw, SIGKILLed in `after` if still there. */
const pids = new Set<number>();
const scripts = new Set<ChildProcess>();
after(() => {
  for (const s of scripts) if (s.exitCode === null && s.signalCode === null) s.kill("SIGKILL");
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
});

/** Whether `pid` is a running process (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs: trust kill(pid, 0)
  }
}

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runScript(args: readonly string[]): Run {
  const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  scripts.add(child);
  if (child.pid !== undefined) pids.add(child.pid);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    for (const m of d.matchAll(/\(pid (\d+)\)/g)) pids.add(Number(m[1]));
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    out += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** The node PIDs from the script's "started: node1 (pid 123), …" line. */
function nodePids(output: string): number[] {
  const line = output.split("\n").find((l) => l.startsWith("started:")) ?? "";
  return [...line.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

describe("a cluster child", { timeout: 30_000 }, () => {
  let procs: ClusterProcess[] = [];
  after(() => killAll(procs));

  test("answers malformed commands with errors and keeps serving", async () => {
    procs = await startNodes({ nodes: [{ name: "solo", capabilities: ["game"] }], network: privateNetwork() });
    const [solo] = procs as [ClusterProcess];
    solo.sendRaw("not an object");
    solo.sendRaw({ type: "request" });
    solo.sendRaw({ type: "request", requestId: "x", command: { op: "ping" } });
    const rejects = async (command: unknown, code: string, message: RegExp): Promise<void> => {
      await assert.rejects(
        solo.request(command as Parameters<ClusterProcess["request"]>[0], 5_000),
        (e: unknown) => e instanceof ChildCommandError && e.code === code && message.test(e.message),
      );
    };
    await rejects({ op: "explode" }, "MESH_ERR_INVALID_ARGUMENT", /unknown op "explode"/);
    await rejects({ op: "call" }, "MESH_ERR_INVALID_ARGUMENT", /request must be an object/);
    await rejects({ op: "call", request: { module: "GameActor", id: "" } }, "MESH_ERR_INVALID_ARGUMENT", /request\.id/);
    await rejects({ op: "callMany", requests: [{}], concurrency: 1 }, "MESH_ERR_INVALID_ARGUMENT", /requests\[0\]/);
    await rejects(
      { op: "loadStart", loadId: "l", requests: [], concurrency: 0 },
      "MESH_ERR_INVALID_ARGUMENT",
      /concurrency/,
    );
    await rejects({ op: "loadStop", loadId: "none" }, "MESH_ERR_INVALID_ARGUMENT", /no load none/);
    await rejects({ op: "owners", capability: "game", ids: [""] }, "MESH_ERR_INVALID_ARGUMENT", /ids/);
    await rejects(
      { op: "cast", request: { module: "GameActor", id: "p", capability: "video" } },
      "MESH_ERR_NO_NODES",
      /video/,
    );

    // Calls that fail in the node come back as outcomes, with the node's error code.
    const noNodes = await solo.call({ module: "GameActor", id: "p1", capability: "video" });
    assert.equal(noNodes.ok, false);
    assert.equal(noNodes.ok ? "" : noNodes.error.code, "MESH_ERR_NO_NODES");
    const unknown = await solo.call({ module: "NoSuchActor", id: "p1", capability: "game" });
    assert.equal(unknown.ok ? "" : unknown.error.code, "MESH_ERR_UNKNOWN_MODULE");
    const threw = await solo.call({ module: "PaymentActor", id: "w1", capability: "game", payload: 5_000 });
    assert.equal(threw.ok ? "" : threw.error.code, "MESH_ERR_ACTOR_THREW");

    const ok = await solo.call({ module: "GameActor", id: "p1", capability: "game", payload: 3 });
    assert.deepEqual(ok.ok && [ok.node, ok.response], ["solo", { player: "p1", score: 3 }]);
    assert.deepEqual(await solo.request({ op: "ping" }), { name: "solo", pid: solo.pid });
    assert.ok(solo.running, "the child is still up");
    const { graceful } = await solo.stop(10_000);
    assert.ok(graceful, "and stops cleanly");
  });
});

describe("pnpm cluster (scripts/dist/cluster.js)", { timeout: 90_000 }, () => {
  test("two runs on the same port and group never merge; each prints the seed's placement, exit 0", async (t) => {
    const port = String(randomInt(40_000, 50_000));
    const args = ["--port", port, "--ids", "90", "--probe-interval-ms", "200", "--converge-timeout-ms", "30000"];
    const runs = [runScript(args), runScript(args)];
    const results = await Promise.all(runs.map((r) => r.exited));
    for (const [i, r] of runs.entries()) {
      const out = r.output();
      assert.deepEqual(results[i], { code: 0, signal: null }, out);
      assert.match(
        out,
        /^game\s+OK\s+90 actors on node1 \(\d+\), node3 \(\d+\): only nodes with game \[node1, node3\]$/m,
      );
      assert.match(
        out,
        /^chat\s+OK\s+90 actors on node2 \(\d+\), node3 \(\d+\): only nodes with chat \[node2, node3\]$/m,
      );
      assert.match(out, /^payment\s+OK\s+90 actors on node3 \(90\): only nodes with payment \[node3\]$/m);
      assert.match(out, /^routing\s+OK/m);
      assert.match(out, /^payment\s+PaymentActor\s+·\s+·\s+90\s+90$/m);
      assert.equal((out.match(/stopped gracefully/g) ?? []).length, 3, out);
      for (const pid of nodePids(out)) assert.ok(!alive(pid), `node process ${pid} is gone`);
      t.diagnostic(out.split("\n").find((l) => l.startsWith("converged")) ?? "");
    }
  });

  test("SIGINT stops every node process; a SIGKILLed script's nodes exit by themselves", async () => {
    const port = String(randomInt(40_000, 50_000));
    const args = ["--port", port, "--ids", "30", "--keep-running", "--interval-ms", "500"];
    const interrupted = runScript(args);
    const orphaned = runScript(args);
    const tables = (r: Run): boolean => (r.output().match(/^routing\s+OK/gm) ?? []).length >= 1;
    await waitFor("both runs to print a table", () => tables(interrupted) && tables(orphaned), {
      timeoutMs: 40_000,
      intervalMs: 50,
      describe: () => `${interrupted.output()}\n---\n${orphaned.output()}`,
    });
    const interruptedPids = nodePids(interrupted.output());
    const orphanedPids = nodePids(orphaned.output());
    assert.equal(interruptedPids.length, 3);
    assert.equal(orphanedPids.length, 3);

    interrupted.child.kill("SIGINT");
    const { code } = await interrupted.exited;
    assert.equal(code, 0, `--keep-running ends with the last verdict (OK)\n${interrupted.output()}`);
    assert.match(interrupted.output(), /SIGINT: stopping 3 node processes/);
    for (const pid of interruptedPids) assert.ok(!alive(pid), `node process ${pid} was stopped`);

    orphaned.child.kill("SIGKILL");
    await orphaned.exited;
    await waitFor("the orphaned nodes to exit", () => orphanedPids.every((pid) => !alive(pid)), {
      timeoutMs: 10_000,
      intervalMs: 50,
      describe: () => orphanedPids.filter(alive).join(", "),
    });
  });
});
