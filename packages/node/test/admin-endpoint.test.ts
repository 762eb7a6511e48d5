import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { hasCommand, skipUnless, waitFor } from "@mesh/testing";
import { createNode, type Discovery, isMeshError } from "../src/index.js";
import { AdminCluster, adminAddress, Counter, getJson } from "./admin-fixtures.js";

const cluster = new AdminCluster();

/** promtool's findings on `text` (an empty list: valid and lint-clean). */
function promtool(text: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "mesh-promtool-"));
  try {
    const file = join(dir, "metrics.txt");
    writeFileSync(file, text);
    execFileSync("sh", ["-c", `promtool check metrics < "${file}" 2>&1`], { encoding: "utf8" });
    return [];
  } catch (error) {
    const output = String((error as { stdout?: string }).stdout ?? error);
    return output.split("\n").filter((line) => line.trim() !== "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
after(() => cluster.stopAll());

describe("admin endpoint of a 3-node cluster", () => {
  it(
    "serves Prometheus text that promtool accepts, with the call metrics",
    {
      skip: skipUnless(hasCommand("promtool"), "promtool is not installed (apt-get install prometheus)"),
    },
    async () => {
      const a = await cluster.start({ name: "adm-a" });
      await cluster.start({ name: "adm-b" });
      await cluster.start({ name: "adm-c" });
      await cluster.converged();
      for (let i = 0; i < 60; i++) await a.call({ capability: "game", module: "Counter", id: `p${i}`, payload: 1 });
      await assert.rejects(a.call({ capability: "nowhere", module: "Counter", id: "x" }), (e) =>
        isMeshError(e, "MESH_ERR_NO_NODES"),
      );
      const response = await fetch(`http://${adminAddress(a)}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      // promtool parses and lints; Mesh's own metrics must pass both.
      const mesh = text
        .split("\n")
        .filter((line) => /^(# (HELP|TYPE) )?mesh_/.test(line))
        .join("\n");
      assert.deepEqual(promtool(`${mesh}\n`), [], "mesh_* metrics are lint-clean");
      // The whole page must parse; the only lint findings allowed are prom-client's own
      // default gauges named *_total (a known prom-client naming quirk).
      const findings = promtool(text).filter((line) => !/^nodejs_active_\w+_total non-counter metrics/.test(line));
      assert.deepEqual(findings, [], "the whole page parses");
      const count = (outcome: string) =>
        Number(
          text.match(new RegExp(`^mesh_calls_total\\{capability="game",outcome="${outcome}"\\} (\\d+)`, "m"))?.[1],
        );
      assert.equal(count("ok"), 60);
      assert.match(text, /^mesh_calls_total\{capability="nowhere",outcome="MESH_ERR_NO_NODES"\} 1$/m);
      const local = Number(
        text.match(/^mesh_call_duration_seconds_count\{capability="game",location="local"\} (\d+)/m)?.[1],
      );
      const remote = Number(
        text.match(/^mesh_call_duration_seconds_count\{capability="game",location="remote"\} (\d+)/m)?.[1],
      );
      assert.equal(local + remote, 60);
      assert.ok(local > 0 && remote > 0, `a 3-node cluster has local and remote calls (${local}, ${remote})`);
      assert.equal(local, a.stats().actorsByCapability.game, "each local call activated one local actor");
      assert.match(text, /^mesh_members\{state="alive"\} 3$/m);
      assert.match(text, /^mesh_actors_active\{capability="game"\} \d+$/m);
      for (const name of ["mesh_gossip_packets_dropped_total", "mesh_rebalance_moves_total", "mesh_handoffs_total"]) {
        assert.match(text, new RegExp(`^# TYPE ${name} counter$`, "m"));
      }
      assert.match(text, /^process_cpu_user_seconds_total \d/m, "default process metrics are on the node's registry");
    },
  );

  it("explains placement as ownerNode and shardFor do, on every node", async () => {
    const [a, b, c] = cluster.nodes;
    assert.ok(a && b && c);
    await a.call({ capability: "game", module: "Counter", id: "explained", payload: 1 });
    for (const node of [a, b, c]) {
      const { status, body } = await getJson(node, "/api/explain?capability=game&id=explained");
      assert.equal(status, 200);
      const shard = node.shardFor("explained");
      assert.equal(body.shard, shard);
      assert.equal(body.owner, node.ownerNode(shard, "game"));
      assert.equal(body.candidates.length, 3);
      assert.deepEqual(body.candidates.map((x: { node: string }) => x.node).sort(), ["adm-a", "adm-b", "adm-c"]);
      assert.deepEqual(body.active, { [body.owner]: ["Counter"] }, "the owner says the actor is active there");
      assert.equal(body.strategy, "bounded-rendezvous");
    }
    const bad = await getJson(a, "/api/explain?capability=game");
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "MESH_ERR_INVALID_ARGUMENT");
  });

  it("reports the cluster: members, shard ownership and actors per node", async () => {
    const [a] = cluster.nodes;
    assert.ok(a);
    const { body } = await getJson(a, "/api/cluster");
    assert.deepEqual(body.members.map((m: { name: string }) => m.name).sort(), ["adm-a", "adm-b", "adm-c"]);
    const game = body.capabilities.find((x: { capability: string }) => x.capability === "game");
    assert.equal(game.owners.length, 4096);
    for (let shard = 0; shard < 4096; shard += 97)
      assert.equal(game.nodes[game.owners[shard]], a.ownerNode(shard, "game"));
    const shards = Object.values(game.shardsByNode as Record<string, number>);
    assert.equal(
      shards.reduce((x, y) => x + y, 0),
      4096,
    );
    for (const node of cluster.nodes) {
      assert.equal(body.nodes[node.name].reachable, true);
      assert.equal(game.actorsByNode[node.name], node.stats().actorsByCapability.game ?? 0);
    }
  });

  it("routes POST /api/call like node.call", async () => {
    const [, b] = cluster.nodes;
    assert.ok(b);
    const call = (body: unknown) =>
      fetch(`http://${adminAddress(b)}/api/call`, { method: "POST", body: JSON.stringify(body) });
    const response = await call({ capability: "game", module: "Counter", id: "explained", payload: 5 });
    assert.equal(response.status, 200);
    const reply = (await response.json()) as { node: string; response: number };
    assert.equal(reply.response, 6, "the same actor as the earlier call");
    assert.equal(reply.node, b.ownerNode(b.shardFor("explained"), "game"));
    const bad = await call({ capability: "game", module: "", id: "x" });
    assert.equal(bad.status, 400);
  });
});

describe("readiness", () => {
  it("is not ready while joining, ready once joined, not ready while leaving", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let admin: string | undefined;
    // Discovery starts inside the join: holding it holds the node in "joining".
    const held: Discovery = {
      name: "held",
      async start() {
        await released;
      },
      async stop() {},
    };
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    class Slow {
      async handleCall(): Promise<string> {
        entered();
        await finished;
        return "done";
      }
    }
    const logs: { message: string; fields: unknown }[] = [];
    const logger = {
      debug() {},
      info: (message: string, fields?: unknown) => logs.push({ message, fields }),
      warn() {},
      error() {},
    };
    const starting = createNode({
      name: "ready-1",
      host: "127.0.0.1",
      multicast: false,
      discovery: [held],
      actors: { Slow },
      capabilities: ["slow"],
      admin: { port: 0 },
      logger,
    });
    await waitFor("the admin endpoint to announce itself", () =>
      logs.some((l) => l.message === "admin endpoint listening"),
    );
    admin = new URL((logs[0]?.fields as { url: string }).url).host;
    const readyz = async () => {
      const response = await fetch(`http://${admin}/readyz`);
      return { status: response.status, body: (await response.json()) as { ready: boolean; reason?: string } };
    };
    assert.deepEqual(await readyz(), { status: 503, body: { ready: false, reason: "joining" } });
    assert.equal((await fetch(`http://${admin}/healthz`)).status, 200, "alive while joining");
    release();
    const node = await starting;
    assert.equal((await readyz()).status, 200);
    const call = node.call({ capability: "slow", module: "Slow", id: "s" });
    await inHandler;
    const stopping = node.stop();
    await waitFor("readyz to say leaving", async () => (await readyz()).body.reason === "leaving");
    assert.equal((await readyz()).status, 503);
    finish();
    assert.equal((await call).response, "done");
    await stopping;
    await assert.rejects(fetch(`http://${admin}/readyz`), "the endpoint closes with the node");
  });
});

describe("bearer token", () => {
  it("refuses a non-loopback bind without a token", async () => {
    await assert.rejects(createNode({ admin: { host: "0.0.0.0", port: 0 } }), (e) =>
      isMeshError(e, "MESH_ERR_INVALID_CONFIG"),
    );
  });

  it("bound to 0.0.0.0 with a token: 401 with MESH_ERR_UNAUTHORIZED without it, 200 with it", async () => {
    const logs: { message: string; fields: { auth?: string; url?: string } | undefined }[] = [];
    const logger = {
      debug() {},
      info: (message: string, fields?: { auth?: string; url?: string }) => logs.push({ message, fields }),
      warn() {},
      error() {},
    };
    const token = `t-${Math.random().toString(36).slice(2)}`;
    const node = await createNode({
      name: "tok",
      actors: { Counter },
      capabilities: ["game"],
      admin: { host: "0.0.0.0", port: 0, token },
      logger,
    });
    try {
      const started = logs.find((l) => l.message === "admin endpoint listening");
      assert.equal(started?.fields?.auth, "bearer token required", "the start log says a token is required");
      const port = new URL(started?.fields?.url ?? "").port;
      // Only ever connect through loopback, although the endpoint listens on every interface.
      const base = `http://127.0.0.1:${port}`;
      for (const path of ["/metrics", "/api/cluster", "/", "/api/events"]) {
        const response = await fetch(`${base}${path}`);
        assert.equal(response.status, 401, path);
        const body = (await response.json()) as { error: { code: string } };
        assert.equal(body.error.code, "MESH_ERR_UNAUTHORIZED");
      }
      const wrong = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
      const right = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(right.status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200, "probes need no token");
      const call = await fetch(`${base}/api/call`, {
        method: "POST",
        body: JSON.stringify({ capability: "game", module: "Counter", id: "x" }),
      });
      assert.equal(call.status, 401, "calls need the token too");
    } finally {
      await node.stop();
    }
  });
});
