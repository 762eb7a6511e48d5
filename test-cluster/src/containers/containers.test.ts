/**
 * The example app's image (deploy/Containerfile) as real containers on an internal
 * container network, through testcontainers:
 * - the seed's example (node1 [game], node2 [chat], node3 [game, chat, payment]) as
 *   three containers that find each other by multicast, sent and joined on each
 *   container's own address, with calls going only to the nodes of their capability;
 * - three find each other by kubernetesDns through a network alias shared by all of
 *   them (the runtime's DNS answers it with every address, as a headless Service
 *   does), and a fourth is found when it joins the alias;
 * - SIGTERM of a container hands its actors off: a load running through a gateway
 *   node sees zero failed calls and no lost state, and the container exits 0;
 * - a SIGKILLed container is declared dead, a replacement with the same node name
 *   rejoins and serves its shards again.
 * The test on the host never reaches into the internal network: it runs the app's
 * client inside a container (exec) and reads the containers' logs.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { hasCommand, skipUnless } from "@mesh/testing";
import type { StartedTestContainer } from "testcontainers";
import { ContainerCluster, dockerSocket } from "./container-cluster.js";

interface LoadSummary {
  calls: number;
  failures: number;
  failureSamples: unknown[];
  gaps: unknown[];
  byNode: Record<string, number>;
  owners: Record<string, { first: string; last: string }>;
}

const skip = skipUnless(
  dockerSocket() !== undefined && hasCommand("bash"),
  "no container runtime: set DOCKER_HOST to a Docker API socket (podman system service) or run a Docker engine",
);

const ids = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("the example app in real containers", { skip, timeout: 600_000 }, () => {
  const cluster = new ContainerCluster();
  before(() => cluster.open());
  after(() => cluster.close());

  async function load(from: StartedTestContainer, spec: Record<string, unknown>): Promise<LoadSummary> {
    return JSON.parse(await cluster.client(from, ["load", JSON.stringify(spec)])) as LoadSummary;
  }

  describe("kubernetesDns through a network alias", () => {
    test("nodes find each other only through the alias, and a new one when it joins", async () => {
      const namespace = cluster.run;
      const gateway = cluster.subnet.replace(/0\/24$/, "1");
      const env = {
        MESH_DISCOVERY: "kubernetes-dns",
        MESH_SERVICE: "mesh",
        MESH_NAMESPACE: namespace,
        MESH_CLUSTER_DOMAIN: "cluster.local",
        MESH_NAMESERVERS: `${gateway}:53`,
        MESH_POLLING_INTERVAL_MS: "1000",
        // Its own secret: these nodes never talk to the multicast ones below.
        MESH_SECRET: `${cluster.secret}-dns`,
      };
      const alias = `mesh.${namespace}.svc.cluster.local`;
      const nodes = await Promise.all(["d1", "d2", "d3"].map((name) => cluster.start({ name, env, aliases: [alias] })));
      for (const node of nodes) await cluster.waitForMembers(node, ["d1", "d2", "d3"]);
      const view = await cluster.view(nodes[0] as StartedTestContainer);
      const addresses = view.members.map((m) => m.address.split(":")[0]).sort();
      assert.deepEqual(addresses, nodes.map((n) => n.getIpAddress(cluster.network)).sort());

      const d4 = await cluster.start({ name: "d4", env, aliases: [alias] });
      for (const node of [...nodes, d4]) await cluster.waitForMembers(node, ["d1", "d2", "d3", "d4"]);
      for (const node of [...nodes, d4]) await node.stop({ timeout: 15_000 });
    });
  });

  describe("the seed's example, found by multicast on the container network", () => {
    // The seed's cluster: node1 [game], node2 [chat], node3 [game, chat, payment].
    const seed: Record<string, string> = { n1: "game", n2: "chat", n3: "game,chat,payment" };
    const nodes = new Map<string, StartedTestContainer>();
    let gateway: StartedTestContainer;
    const env = (name: string): Record<string, string> => ({
      MESH_DISCOVERY: "multicast",
      MESH_CAPABILITIES: seed[name] ?? "",
    });
    const all = { game: ["n1", "n3"], chat: ["n2", "n3"], payment: ["n3"] };

    test("three containers find each other by multicast on their own interfaces; calls go by capability", async () => {
      for (const name of Object.keys(seed)) nodes.set(name, await cluster.start({ name, env: env(name) }));
      for (const [name, node] of nodes) {
        const listening = (await cluster.events(node)).find((e) => e.event === "listening");
        const ip = node.getIpAddress(cluster.network);
        assert.equal(listening?.multicastInterface, ip, `${name} sends and joins multicast on its own address`);
        assert.ok(ip.startsWith(cluster.subnet.replace(/0\/24$/, "")), `${ip} is in ${cluster.subnet}`);
        assert.equal(await cluster.uid(node), "10001:10001", "the image runs as its numeric non-root user");
      }
      for (const node of nodes.values()) await cluster.waitForMembers(node, ["n1", "n2", "n3"], all);
      gateway = await cluster.start({ name: "gw", env: env("gw") });
      for (const node of [...nodes.values(), gateway])
        await cluster.waitForMembers(node, ["n1", "n2", "n3", "gw"], all);

      for (const [capability, owners] of Object.entries(all)) {
        const summary = await load(gateway, { ids: ids(20, `warm-${capability}-`), durationMs: 1_000, capability });
        assert.equal(summary.failures, 0, JSON.stringify(summary.failureSamples));
        assert.deepEqual(Object.keys(summary.byNode).sort(), owners, `${capability} runs on ${owners.join(" and ")}`);
      }
    });

    test("SIGTERM hands a container's actors off with zero failed calls", async (t) => {
      const n1 = nodes.get("n1") as StartedTestContainer;
      const running = load(gateway, { ids: ids(24, "p"), durationMs: 8_000, timeoutMs: 10_000 });
      // Stop n1 well inside the load's window; the owners in the summary show it was.
      await delay(2_500);
      await n1.stop({ timeout: 20_000, remove: false });
      assert.equal(await cluster.exitCode(n1), 0, "the app exits 0 after a graceful stop");
      const events = await cluster.events(n1);
      const stopped = events.find((e) => e.event === "stopped");
      assert.ok(stopped !== undefined, `n1 stopped gracefully: ${JSON.stringify(events.map((e) => e.event))}`);
      const summary = await running;
      t.diagnostic(`load: ${summary.calls} calls, ${summary.failures} failed; n1's stop took ${stopped.stopMs} ms`);

      assert.equal(summary.failures, 0, JSON.stringify(summary.failureSamples));
      assert.deepEqual(summary.gaps, [], "every score follows the previous one: no state lost in the handoff");
      const moved = Object.values(summary.owners).filter((o) => o.first === "n1");
      assert.ok(moved.length > 0, `n1 owned some of the ids before its stop: ${JSON.stringify(summary.owners)}`);
      for (const o of moved) assert.equal(o.last, "n3", "n1's game actors run on n3 after its stop");
      const left = { game: ["n3"], chat: ["n2", "n3"], payment: ["n3"] };
      for (const name of ["n2", "n3"]) {
        await cluster.waitForMembers(nodes.get(name) as StartedTestContainer, ["n2", "n3", "gw"], left);
      }
      nodes.delete("n1");
    });

    test("a killed container is declared dead; its replacement rejoins and serves", async () => {
      const n2 = nodes.get("n2") as StartedTestContainer;
      const n3 = nodes.get("n3") as StartedTestContainer;
      await cluster.kill(n2);
      await cluster.waitForMembers(n3, ["n3", "gw"], { game: ["n3"], chat: ["n3"] });

      const replacement = await cluster.start({ name: "n2", env: env("n2") });
      const back = { game: ["n3"], chat: ["n2", "n3"], payment: ["n3"] };
      for (const node of [n3, replacement, gateway]) await cluster.waitForMembers(node, ["n2", "n3", "gw"], back);
      const summary = await load(gateway, { ids: ids(30, "after-"), durationMs: 1_500, capability: "chat" });
      assert.equal(summary.failures, 0, JSON.stringify(summary.failureSamples));
      assert.deepEqual(Object.keys(summary.byNode).sort(), ["n2", "n3"], "the replacement serves its chat shards");
    });
  });
});
