import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { skipUnless, waitFor } from "@mesh/testing";
import {
  createNode,
  dnsPoll,
  isMeshError,
  kubernetesDns,
  kubernetesDnsSrv,
  type MeshError,
  type MeshNode,
  type NodeInit,
} from "../src/index.js";
import { DnsmasqServer, hasDnsmasq } from "./dnsmasq-server.js";
import { loopbackHosts, sharedFreePort } from "./loopback-hosts.js";

const skip = skipUnless(hasDnsmasq(), "dnsmasq is not installed (Debian: dnsmasq-base)");
const FAST = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };
const POLL = { pollingIntervalMs: 200, maxBackoffMs: 800, timeoutMs: 300 };

class Echo {
  handleCall(payload: unknown): unknown {
    return payload;
  }
}

const started: MeshNode[] = [];
async function start(init: NodeInit): Promise<MeshNode> {
  const node = await createNode({ multicast: false, gossip: FAST, actors: { Echo }, ...init });
  started.push(node);
  return node;
}

function aliveNames(node: MeshNode): string[] {
  return node
    .members()
    .filter((m) => m.state === "alive")
    .map((m) => m.name)
    .sort();
}

async function converged(nodes: readonly MeshNode[]): Promise<void> {
  const names = nodes.map((n) => n.name).sort();
  await waitFor("every node to see every other", () => nodes.every((n) => `${aliveNames(n)}` === `${names}`), {
    timeoutMs: 10_000,
    describe: () => nodes.map((n) => `${n.name}: ${aliveNames(n)}`).join("; "),
  });
}

function gossipPort(node: MeshNode): number {
  const self = node.members().find((m) => m.name === node.name);
  assert.ok(self !== undefined);
  return self.address.port;
}

describe("DNS discovery through a real dnsmasq on loopback", { skip }, () => {
  let dns: DnsmasqServer;
  const suffix = Math.random().toString(36).slice(2, 8);

  before(async () => {
    dns = await DnsmasqServer.start({});
  });
  after(async () => {
    await Promise.all(started.splice(0).map((n) => n.stop()));
    await dns?.stop();
  });

  it("dnsPoll A: nodes find each other only through DNS; a record added later is found; an outage is retried with backoff and recovers", async () => {
    const hosts = loopbackHosts(4);
    const port = await sharedFreePort(hosts);
    const query = `mesh-${suffix}.mesh.test`;
    const records = (n: number) => ({ a: hosts.slice(0, n).map((ip) => [query, ip] as const) });
    await dns.update(records(2));
    const failures: MeshError[] = [];
    const discovery = () => [dnsPoll({ query, nameservers: [dns.nameserver], ...POLL })];
    const a = await start({ name: `a-${suffix}`, host: hosts[0], gossipPort: port, discovery: discovery() });
    a.on("discovery:failed", (error) => failures.push(error));
    const b = await start({ name: `b-${suffix}`, host: hosts[1], gossipPort: port, discovery: discovery() });
    await converged([a, b]);

    // c has no discovery of its own: only a and b polling DNS can find it, once its record is there.
    const c = await start({ name: `c-${suffix}`, host: hosts[2], gossipPort: port });
    await dns.update(records(3));
    await converged([a, b, c]);

    const failedAt: number[] = [];
    a.on("discovery:failed", () => failedAt.push(performance.now()));
    await dns.halt();
    // Start d while DNS is down; it is in the records the server comes back with.
    const d = await start({ name: `d-${suffix}`, host: hosts[3], gossipPort: port });
    await waitFor("four failed polls", () => failedAt.length >= 4, { timeoutMs: 10_000 });
    const failure = failures[0] as MeshError;
    assert.ok(isMeshError(failure, "MESH_ERR_DISCOVERY_FAILED"));
    assert.equal(failure.details?.strategy, "dns-poll");
    // Backoff after failures 1, 2, 3: 200, 400, 800 ms, each ±20%: never a busy loop.
    const spread = (failedAt[3] as number) - (failedAt[0] as number);
    assert.ok(spread >= (200 + 400 + 800) * 0.8, `4 failures within ${spread} ms`);
    const during = a.stats().discovery["dns-poll"] as { failures: number; failuresByReason: Record<string, number> };
    assert.ok(during.failures >= 4, JSON.stringify(during));
    assert.deepEqual(aliveNames(a), [a.name, b.name, c.name].sort(), "a failed poll forgets nobody");
    await dns.update(records(4));
    await converged([a, b, c, d]);
    await waitFor("a's polls to succeed again", () => {
      const now = a.stats().discovery["dns-poll"] as { lastFailure?: string };
      return now.lastFailure === undefined;
    });
  });

  it("dnsPoll SRV: hosts and ports come from the records; NXDOMAIN and empty answers are failures by reason", async () => {
    const hosts = loopbackHosts(3);
    const query = `_gossip._udp.srv-${suffix}.mesh.test`;
    const nodes: MeshNode[] = [];
    for (const [i, host] of hosts.entries()) {
      nodes.push(await start({ name: `srv${i}-${suffix}`, host }));
    }
    await dns.update({
      a: hosts.map((ip, i) => [`pod-${i}.srv-${suffix}.mesh.test`, ip] as const),
      srv: nodes.map((n, i) => ({ name: query, target: `pod-${i}.srv-${suffix}.mesh.test`, port: gossipPort(n) })),
    });
    // Every node gets its discovery only now (the ports are random): one strategy on the first node is enough.
    const first = await start({
      name: `srv-seeker-${suffix}`,
      host: hosts[0],
      discovery: [dnsPoll({ query, type: "SRV", nameservers: [dns.nameserver], ...POLL })],
    });
    await converged([...nodes, first]);

    const nx = dnsPoll({ query: `nothing-${suffix}.mesh.test`, nameservers: [dns.nameserver], ...POLL });
    const empty = dnsPoll({
      query: `pod-0.srv-${suffix}.mesh.test`,
      type: "SRV",
      nameservers: [dns.nameserver],
      ...POLL,
    });
    const context = { name: "probe", address: { host: "127.0.0.1", port: 1 }, onPeer: () => assert.fail("no peer") };
    await nx.start(context);
    await empty.start(context);
    await nx.stop();
    await empty.stop();
    assert.deepEqual(nx.stats().failuresByReason, { nxdomain: 1 });
    assert.deepEqual(empty.stats().failuresByReason, { empty: 1 });
  });

  it("kubernetesDns and kubernetesDnsSrv resolve the headless Service names of a cluster domain", async () => {
    const hosts = loopbackHosts(3);
    const port = await sharedFreePort(hosts);
    const service = `mesh-${suffix}`;
    const fqdn = `${service}.apps.svc.cluster.local`;
    await dns.update({
      a: hosts.flatMap((ip, i) => [[fqdn, ip] as const, [`mesh-${i}.${fqdn}`, ip] as const]),
      srv: hosts.map((_, i) => ({ name: `_gossip._udp.${fqdn}`, target: `mesh-${i}.${fqdn}`, port })),
    });
    const common = { service, namespace: "apps", nameservers: [dns.nameserver], ...POLL };
    const k0 = await start({
      name: `k0-${suffix}`,
      host: hosts[0],
      gossipPort: port,
      discovery: [kubernetesDns(common)],
    });
    const k1 = await start({
      name: `k1-${suffix}`,
      host: hosts[1],
      gossipPort: port,
      discovery: [kubernetesDnsSrv(common)],
    });
    const k2 = await start({
      name: `k2-${suffix}`,
      host: hosts[2],
      gossipPort: port,
      discovery: [kubernetesDnsSrv({ ...common, protocol: "udp", portName: "gossip" })],
    });
    await converged([k0, k1, k2]);
    const stats = k1.stats().discovery["kubernetes-dns-srv"] as { lastAnswer: number; peersReported: number };
    assert.equal(stats.lastAnswer, 3);
    assert.ok(stats.peersReported >= 2);
  });
});
