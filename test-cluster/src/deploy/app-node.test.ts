/**
 * The example app as its image runs it, here as a process on loopback: the admin
 * port answers /healthz and /readyz (200 once joined and tables built), the api
 * serves calls and rejects a malformed one, SIGTERM stops the node (its "stopping"
 * and "stopped" lines) and exits 0, and a bad setting exits 2 naming the variable.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { waitFor } from "@mesh/testing";

const APP = fileURLToPath(new URL("../../../scripts/dist/app-node.js", import.meta.url));

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

function start(env: Record<string, string>): { child: ChildProcess; exit: Promise<number | null>; out: () => string } {
  const child = spawn(process.execPath, [APP], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exit, out: () => out };
}

async function get(port: number, path: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
  } catch {
    return 0;
  }
}

describe("the example app program", () => {
  test("serves /healthz and /readyz, answers calls, and stops on SIGTERM with exit 0", async () => {
    const base = randomInt(20_000, 39_000);
    const [gossip, call, admin, http, multicast] = [base, base + 1, base + 2, base + 3, base + 4];
    const app = start({
      MESH_NODE_NAME: "solo",
      MESH_ADVERTISE_HOST: "127.0.0.1",
      MESH_SECRET: randomBytes(16).toString("hex"),
      MESH_MULTICAST_PORT: String(multicast),
      MESH_GOSSIP_PORT: String(gossip),
      MESH_CALL_PORT: String(call),
      MESH_ADMIN_PORT: String(admin),
      MESH_HTTP_PORT: String(http),
    });
    await waitFor("/readyz to answer 200", async () => (await get(admin, "/readyz")) === 200, {
      timeoutMs: 15_000,
      intervalMs: 50,
      describe: app.out,
    });
    assert.equal(await get(admin, "/healthz"), 200);
    assert.match(app.out(), /"event":"listening".*"multicastInterface":"127\.0\.0\.1"/);

    const res = await fetch(`http://127.0.0.1:${http}/call`, {
      method: "POST",
      body: JSON.stringify({ capability: "game", id: "alice", payload: 3 }),
    });
    const body = (await res.json()) as { ok: boolean; node: string; shard: number; response: unknown };
    assert.equal(body.ok, true);
    assert.equal(body.node, "solo");
    assert.equal(typeof body.shard, "number");
    assert.deepEqual(body.response, { player: "alice", score: 3 });
    const bad = await fetch(`http://127.0.0.1:${http}/call`, { method: "POST", body: "{not json" });
    assert.equal(bad.status, 400);

    app.child.kill("SIGTERM");
    assert.equal(await app.exit, 0, app.out());
    assert.match(app.out(), /"event":"stopping"[\s\S]*"event":"stopped"/);
  });

  test("a node alone is not ready while MESH_READY_MIN_MEMBERS asks for another", async () => {
    const base = randomInt(20_000, 39_000);
    const app = start({
      MESH_ADVERTISE_HOST: "127.0.0.1",
      MESH_SECRET: randomBytes(16).toString("hex"),
      MESH_MULTICAST_PORT: String(base + 4),
      MESH_GOSSIP_PORT: String(base),
      MESH_CALL_PORT: String(base + 1),
      MESH_ADMIN_PORT: String(base + 2),
      MESH_HTTP_PORT: String(base + 3),
      MESH_READY_MIN_MEMBERS: "2",
    });
    await waitFor("/healthz to answer 200", async () => (await get(base + 2, "/healthz")) === 200, {
      timeoutMs: 15_000,
      intervalMs: 50,
      describe: app.out,
    });
    // It can never see a second member: no other node shares its port and secret.
    assert.equal(await get(base + 2, "/readyz"), 503);
    app.child.kill("SIGTERM");
    assert.equal(await app.exit, 0, app.out());
  });

  test("a bad setting exits 2 and names the variable", async () => {
    const app = start({ MESH_DISCOVERY: "carrier-pigeon", MESH_ADVERTISE_HOST: "127.0.0.1" });
    assert.equal(await app.exit, 2);
    assert.match(app.out(), /MESH_DISCOVERY must be one of multicast, seeds, kubernetes-dns/);
    const port = start({ MESH_GOSSIP_PORT: "70000", MESH_ADVERTISE_HOST: "127.0.0.1" });
    assert.equal(await port.exit, 2);
    assert.match(port.out(), /MESH_GOSSIP_PORT must be an integer in 1\.\.65535/);
  });
});
