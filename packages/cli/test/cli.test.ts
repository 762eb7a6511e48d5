import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createNode, type MeshNode } from "@mesh/node";
import { waitFor } from "@mesh/testing";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "main.js");

class Counter {
  count = 0;
  handleCall(payload: unknown): number {
    this.count += typeof payload === "number" ? payload : 1;
    return this.count;
  }
}

/** Runs the built `mesh` binary as its own process (asynchronously: the nodes it talks to live in this one). */
function mesh(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: 20_000, env: { PATH: process.env.PATH ?? "" } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const nodes: MeshNode[] = [];
let admin = "";
const gossip = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };
const adminOf = (node: MeshNode) => node.members().find((m) => m.name === node.name)?.tags.admin ?? "";

before(async () => {
  const a = await createNode({
    name: "cli-a",
    host: "127.0.0.1",
    multicast: false,
    gossip,
    actors: { Counter },
    capabilities: ["game"],
    admin: { port: 0 },
  });
  const self = a.members().find((m) => m.name === a.name);
  const seed = `${self?.address.host}:${self?.address.port}`;
  const b = await createNode({
    name: "cli-b",
    host: "127.0.0.1",
    multicast: false,
    seeds: [seed],
    gossip,
    actors: { Counter },
    capabilities: ["game", "chat"],
    admin: { port: 0 },
  });
  nodes.push(a, b);
  await waitFor(
    "both nodes to see each other",
    () =>
      [a, b].every(
        (n) => n.members().filter((m) => m.state === "alive").length === 2 && n.nodesFor("game").length === 2,
      ),
    { timeoutMs: 10_000 },
  );
  admin = adminOf(a);
});
after(() => Promise.allSettled(nodes.map((n) => n.stop())));

describe("the mesh CLI as a process", () => {
  it("members: a table like serf members, and --json", async () => {
    const { code, stdout } = await mesh("members", "--admin", admin);
    assert.equal(code, 0);
    const lines = stdout.trim().split("\n");
    assert.match(lines[0] ?? "", /^NAME\s+ADDRESS\s+STATE\s+INC\s+ADMIN\s+CAPABILITIES$/);
    assert.match(lines[1] ?? "", /^cli-a\s+127\.0\.0\.1:\d+\s+alive\s+\d+\s+127\.0\.0\.1:\d+\s+game$/);
    assert.match(lines[2] ?? "", /^cli-b\s+127\.0\.0\.1:\d+\s+alive\s+\d+\s+127\.0\.0\.1:\d+\s+chat,game$/);
    const json = await mesh("--json", "members", `--admin=${admin}`);
    const parsed = JSON.parse(json.stdout) as { name: string; state: string }[];
    assert.deepEqual(parsed.map((m) => `${m.name}=${m.state}`).sort(), ["cli-a=alive", "cli-b=alive"]);
  });

  it("call, then where explains the actor it activated", async () => {
    const first = await mesh("call", "game", "Counter", "hero", "5", "--admin", admin);
    assert.equal(first.code, 0, first.stderr);
    const a = nodes[0] as MeshNode;
    const owner = a.ownerNode(a.shardFor("hero"), "game");
    assert.equal(first.stdout, `5\t(from ${owner})\n`);
    const second = await mesh("--json", "call", "game", "Counter", "hero", "2", "--admin", admin);
    assert.deepEqual(JSON.parse(second.stdout), { node: owner, response: 7 });
    const where = await mesh("where", "game", "hero", "--admin", admin);
    assert.equal(where.code, 0, where.stderr);
    assert.match(where.stdout, new RegExp(`shard\\s+${a.shardFor("hero")} of 4096`));
    assert.match(where.stdout, new RegExp(`owner\\s+${owner}\\n`));
    assert.match(where.stdout, new RegExp(`active\\s+${owner} \\(Counter\\)`));
    assert.match(where.stdout, new RegExp(`^${owner}\\s+1\\s+[\\d.]+\\s+owner$`, "m"));
  });

  it("capabilities and stats", async () => {
    const caps = await mesh("capabilities", "--admin", admin);
    assert.equal(caps.code, 0);
    assert.match(caps.stdout, /^chat\s+cli-b\s+4096\s+\d+$/m);
    const game = [...caps.stdout.matchAll(/^game\s+(cli-[ab])\s+(\d+)\s+\d+$/gm)];
    assert.equal(game.length, 2);
    assert.equal(
      game.reduce((n, m) => n + Number(m[2]), 0),
      4096,
    );
    const stats = await mesh("stats", "--admin", admin);
    assert.match(stats.stdout, /^NODE\s+STATE\s+CALLS\s+CALLS\/S\s+ACTORS$/m);
    assert.match(stats.stdout, /^cli-a\s+alive\s+2\s+[\d.]+\s+\d+$/m, "the two calls went through cli-a");
  });

  it("top refreshes a live table", async () => {
    const { code, stdout } = await mesh("top", "--count", "2", "--interval", "200", "--admin", admin);
    assert.equal(code, 0);
    assert.equal(stdout.match(/^mesh top — /gm)?.length, 2);
    assert.equal(stdout.match(/^cli-b\s+alive/gm)?.length, 2);
  });

  it("errors are one line and a non-zero exit", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const p = (server.address() as { port: number }).port;
        server.close(() => resolve(p));
      });
    });
    const down = await mesh("members", "--admin", `127.0.0.1:${port}`);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^mesh: cannot reach the admin endpoint at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n$/);
    const usage = await mesh("where", "game");
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, "mesh: where takes 2 argument(s), got 1 (see mesh --help)\n");
    const unknown = await mesh("frobnicate");
    assert.equal(unknown.code, 2);
    const badJson = await mesh("call", "game", "Counter", "x", "{nope", "--admin", admin);
    assert.equal(badJson.code, 1);
    assert.equal(badJson.stderr, "mesh: the payload is not JSON: {nope\n");
    const noModule = await mesh("call", "game", "Nope", "x", "1", "--admin", admin);
    assert.equal(noModule.code, 1);
    assert.match(noModule.stderr, /^mesh: MESH_ERR_UNKNOWN_MODULE: .+\n$/);
  });

  it("a token-protected endpoint: refused without --token, answered with it", async () => {
    const token = `cli-${Math.random().toString(36).slice(2)}`;
    const node = await createNode({
      name: "cli-tok",
      actors: { Counter },
      capabilities: ["game"],
      admin: { host: "0.0.0.0", port: 0, token },
      host: "127.0.0.1",
      multicast: false,
      gossip,
    });
    nodes.push(node);
    const port = adminOf(node).split(":").pop();
    const refused = await mesh("stats", "--admin", `127.0.0.1:${port}`);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, "mesh: MESH_ERR_UNAUTHORIZED: this admin endpoint requires a valid bearer token\n");
    const ok = await mesh("call", "game", "Counter", "t", "1", "--admin", `127.0.0.1:${port}`, "--token", token);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "1\t(from cli-tok)\n");
  });
});
