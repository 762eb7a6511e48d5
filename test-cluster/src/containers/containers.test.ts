/**
 * The example app's image (deploy/Containerfile) as real containers on an internal
 * container network, through testcontainers:
 * - three containers find each other by multicast, sent and joined on each
 *   container's own address;
 * - three find each other by kubernetesDns through a network alias shared by all of
 *   them (the runtime's DNS answers it with every address, as a headless Service
 *   does), and a fourth is found when it joins the alias;
 * - SIGTERM of a container hands its actors off: a load running through a gateway
 *   node sees zero failed calls and no lost state, and the container exits 0;
 * - a SIGKILLed container is declared dead, a replacement with the same node name
 *   rejoins and serves its shards again.
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

  describe("multicast on the container network", () => {
    const names = ["n1", "n2", "n3"];
    const nodes = new Map<string, StartedTestContainer>();
    let gateway: StartedTestContainer;
    const env = { MESH_DISCOVERY: "multicast" };

    test("three containers find each other by multicast on their own interfaces", async () => {
      for (const name of names) nodes.set(name, await cluster.start({ name, env }));
      for (const [name, node] of nodes) {
        const listening = (await cluster.events(node)).find((e) => e.event === "listening");
        const ip = node.getIpAddress(cluster.network);
        assert.equal(listening?.multicastInterface, ip, `${name} sends and joins multicast on its own address`);
        assert.ok(ip.startsWith(cluster.subnet.replace(/0\/24$/, "")), `${ip} is in ${cluster.subnet}`);
      }
      for (const node of nodes.values()) await cluster.waitForMembers(node, names);
      gateway = await cluster.start({ name: "gw", env: { ...env, MESH_CAPABILITIES: "" } });
      for (const node of [...nodes.values(), gateway]) await cluster.waitForMembers(node, [...names, "gw"], names);

      const summary = await load(gateway, { ids: ids(30, "warm-"), durationMs: 1_500 });
      assert.equal(summary.failures, 0, JSON.stringify(summary.failureSamples));
      assert.deepEqual(Object.keys(summary.byNode).sort(), names, "the shards are spread over all three");
    });

    test("SIGTERM hands a container's actors off with zero failed calls", async () => {
      const n2 = nodes.get("n2") as StartedTestContainer;
      const running = load(gateway, { ids: ids(24, "p"), durationMs: 8_000, timeoutMs: 10_000 });
      // Stop n2 well inside the load's window; the owners in the summary show it was.
      await delay(2_500);
      await n2.stop({ timeout: 20_000, remove: false });
      assert.equal(await cluster.exitCode(n2), 0, "the app exits 0 after a graceful stop");
      const summary = await running;

      assert.equal(summary.failures, 0, JSON.stringify(summary.failureSamples));
      assert.deepEqual(summary.gaps, [], "every score follows the previous one: no state lost in the handoff");
      const moved = Object.values(summary.owners).filter((o) => o.first === "n2");
      assert.ok(moved.length > 0, `n2 owned some of the ids before its stop: ${JSON.stringify(summary.owners)}`);
      for (const o of moved) assert.notEqual(o.last, "n2", "n2's actors run elsewhere after its stop");
      for (const name of ["n1", "n3"]) {
        await cluster.waitForMembers(nodes.get(name) as StartedTestContainer, ["n1", "n3", "gw"], ["n1", "n3"]);
      }
      nodes.delete("n2");
    });

    test("a killed container is declared dead; its replacement rejoins and serves", async () => {
      const n3 = nodes.get("n3") as StartedTestContainer;
      const n1 = nodes.get("n1") as StartedTestContainer;
      await cluster.kill(n3);
      await cluster.waitForMembers(n1, ["n1", "gw"], ["n1"]);

      const replacement = await cluster.start({ name: "n3", env });
      for (const node of [n1, replacement, gateway])
        await cluster.waitForMembers(node, ["n1", "n3", "gw"], ["n1", "n3"]);
      const summary = await load(gateway, { ids: ids(30, "after-"), durationMs: 1_500 });
      assert.equal(summary.failures, 0, JSON.stringify(summary.failureSamples));
      assert.deepEqual(Object.keys(summary.byNode).sort(), ["n1", "n3"], "the replacement serves its shards");
    });
  });
});
