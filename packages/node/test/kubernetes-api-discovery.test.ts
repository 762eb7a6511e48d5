import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { skipUnless, waitFor } from "@mesh/testing";
import { createNode, type KubernetesApiDiscovery, kubernetesApi, type MeshNode, type NodeInit } from "../src/index.js";
import { FakeKubeApi } from "./fake-kube-api.js";
import { loopbackHosts, sharedFreePort } from "./loopback-hosts.js";
import { hasOpenssl } from "./test-ca.js";

const skip = skipUnless(hasOpenssl(), "the openssl CLI is not installed (it makes the test CA)");
const FAST = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };

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

const aliveNames = (node: MeshNode) =>
  node
    .members()
    .filter((m) => m.state === "alive")
    .map((m) => m.name)
    .sort();

async function converged(nodes: readonly MeshNode[], what: string): Promise<void> {
  const names = nodes.map((n) => n.name).sort();
  await waitFor(what, () => nodes.every((n) => `${aliveNames(n)}` === `${names}`), {
    timeoutMs: 10_000,
    describe: () => nodes.map((n) => `${n.name}: ${aliveNames(n)}`).join("; "),
  });
}

const hostsOf = (d: KubernetesApiDiscovery) =>
  d
    .peers()
    .map((a) => a.host)
    .sort();

describe("Kubernetes API discovery against an HTTPS EndpointSlice server on loopback", { skip }, () => {
  let api: FakeKubeApi;
  const suffix = Math.random().toString(36).slice(2, 8);
  const service = `mesh-${suffix}`;

  before(async () => {
    api = await FakeKubeApi.start("apps");
  });
  after(async () => {
    await Promise.all(started.splice(0).map((n) => n.stop()));
    await api?.stop();
  });

  it("joins the ready endpoints of two slices (paginated), follows the watch, relists on 410, and a scaled-down pod leaves the set", async () => {
    const hosts = loopbackHosts(5);
    const port = await sharedFreePort(hosts);
    const [h0, h1, h2, h3, h4] = hosts as [string, string, string, string, string];
    // Slice a: pods 0 and 1 ready, pod 3 not ready yet. Slice b: pod 2 ready, pod 4 terminating.
    api.putSlice(`${service}-a`, service, port, [
      { ip: h0, pod: "mesh-0" },
      { ip: h1, pod: "mesh-1" },
      { ip: h3, pod: "mesh-3", ready: false },
    ]);
    api.putSlice(`${service}-b`, service, port, [
      { ip: h2, pod: "mesh-2" },
      { ip: h4, pod: "mesh-4", terminating: true },
    ]);
    api.putSlice("other-a", "other", port, [{ ip: "127.0.0.254", pod: "other-0" }]);
    const strategies: KubernetesApiDiscovery[] = [];
    const discovered = (name: string, host: string) => {
      const strategy = kubernetesApi({
        service,
        namespace: "apps",
        apiServer: api.url,
        tokenFile: api.tokenFile,
        caFile: api.caFile,
        pageSize: 1,
        pollingIntervalMs: 200,
        maxBackoffMs: 800,
      });
      strategies.push(strategy);
      return start({ name, host, gossipPort: port, discovery: [strategy] });
    };
    const n0 = await discovered(`n0-${suffix}`, h0);
    const n1 = await discovered(`n1-${suffix}`, h1);
    const n2 = await discovered(`n2-${suffix}`, h2);
    // Pods 3 and 4 run, but without discovery of their own: only the API could lead anyone to them.
    const n3 = await start({ name: `n3-${suffix}`, host: h3, gossipPort: port });
    const n4 = await start({ name: `n4-${suffix}`, host: h4, gossipPort: port });
    await converged([n0, n1, n2], "the three ready pods to form a cluster");
    const s0 = strategies[0] as KubernetesApiDiscovery;
    assert.deepEqual(hostsOf(s0), [h0, h1, h2].sort());
    assert.deepEqual(aliveNames(n3), [n3.name], "a not-ready pod is not joined");
    assert.deepEqual(aliveNames(n4), [n4.name], "a terminating pod is not joined");
    const stats = s0.stats();
    assert.equal(stats.skipped["not-ready"], 1);
    assert.equal(stats.skipped.terminating, 1);
    assert.ok(stats.pages >= 2, "two slices at one per page take two pages");
    assert.ok(
      api.requests.some((r) => r.includes("continue=")),
      "the second page is fetched with continue",
    );
    assert.ok(api.requests.every((r) => r.includes(`labelSelector=kubernetes.io%2Fservice-name%3D${service}`)));

    // Pod 3 becomes ready: the watch brings it at once.
    api.putSlice(`${service}-a`, service, port, [
      { ip: h0, pod: "mesh-0" },
      { ip: h1, pod: "mesh-1" },
      { ip: h3, pod: "mesh-3" },
    ]);
    await converged([n0, n1, n2, n3], "the pod that became ready to be joined");
    assert.ok(s0.stats().watchEvents >= 1);

    // The watch ends; meanwhile a change is made and the history compacted: resuming gets 410, so it relists.
    await waitFor("every strategy to watch", () => api.openWatches === 3);
    const relists = s0.stats().relists;
    api.rotateToken();
    api.endWatches();
    api.putSlice(`${service}-b`, service, port, [
      { ip: h2, pod: "mesh-2" },
      { ip: h4, pod: "mesh-4" },
    ]);
    api.compact();
    await converged([n0, n1, n2, n3, n4], "the pod seen only by a relist to be joined");
    assert.ok(s0.stats().relists > relists, "410 Gone led to a relist");
    assert.equal(s0.stats().failuresByReason["http-401"], undefined, "the rotated token was read from its file");

    // Scale down: pod 1 terminates, then its endpoint goes. It leaves every discovered set at once;
    // the member itself stays until SWIM sees it gone (discovery never forces a member out).
    api.putSlice(`${service}-a`, service, port, [
      { ip: h0, pod: "mesh-0" },
      { ip: h1, pod: "mesh-1", terminating: true },
      { ip: h3, pod: "mesh-3" },
    ]);
    await waitFor("pod 1 to leave the discovered sets", () => strategies.every((s) => !hostsOf(s).includes(h1)));
    const n1State = n0.members().find((m) => m.name === n1.name)?.state;
    assert.ok(n1State === "alive" || n1State === "suspect", `discovery does not decide liveness (${n1State})`);
    api.putSlice(`${service}-a`, service, port, [
      { ip: h0, pod: "mesh-0" },
      { ip: h3, pod: "mesh-3" },
    ]);
    await n1.stop();
    await converged([n0, n2, n3, n4], "the cluster without the scaled-down pod");
    assert.deepEqual(hostsOf(s0), [h0, h2, h3, h4].sort());
    assert.ok(!hostsOf(s0).includes("127.0.0.254"), "another service's slices are not selected");
    assert.deepEqual(Object.keys(n0.stats().discovery), ["kubernetes-api"]);
  });
});
