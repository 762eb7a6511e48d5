import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isMeshError, type MeshError } from "@mesh/interface";
import { FakeClock, SeededRandom } from "@mesh/testing";
import type { DiscoveryPeer } from "../src/discovery/discovery.js";
import { dnsPoll } from "../src/discovery/dns-poll.js";
import type { DnsResolver, SrvAnswer } from "../src/discovery/dns-resolver.js";
import { parseNameservers } from "../src/discovery/dns-resolver.js";
import { kubernetesServiceName } from "../src/discovery/kubernetes-dns.js";
import { kubernetesSrvName } from "../src/discovery/kubernetes-dns-srv.js";
import { nextPollDelayMs } from "../src/discovery/poll-backoff.js";
import { addressKey } from "../src/transport/transport.js";

const middle = { next: () => 0.5 };

describe("nextPollDelayMs", () => {
  const cases: [failures: number, expected: number][] = [
    [0, 1000],
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [60, 10_000],
  ];
  for (const [failures, expected] of cases) {
    test(`after ${failures} failures: ${expected} ms (interval 1000, max 10000, no spread)`, () => {
      assert.equal(nextPollDelayMs(failures, 1000, 10_000, 0.2, middle), expected);
    });
  }
  test("the spread stays within ± jitter, and never below 1 ms", () => {
    const random = new SeededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const d = nextPollDelayMs(3, 1000, 10_000, 0.2, random);
      assert.ok(d >= 3200 && d <= 4800, String(d));
    }
    assert.equal(nextPollDelayMs(0, 1, 1, 0.99, { next: () => 0 }), 1);
  });
});

describe("Kubernetes DNS names", () => {
  test("service, namespace and cluster domain", () => {
    assert.equal(kubernetesServiceName("mesh", "apps", "cluster.local"), "mesh.apps.svc.cluster.local");
    assert.equal(kubernetesSrvName({ service: "mesh" }), "_gossip._udp.mesh.default.svc.cluster.local");
    assert.equal(
      kubernetesSrvName({
        service: "mesh",
        namespace: "apps",
        portName: "swim",
        protocol: "tcp",
        clusterDomain: "k8s.test",
      }),
      "_swim._tcp.mesh.apps.svc.k8s.test",
    );
  });
  for (const bad of ["Mesh", "-mesh", "mesh_1", "", "a".repeat(64)]) {
    test(`rejects the service name ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => kubernetesServiceName(bad, "default", "cluster.local"),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
      );
    });
  }
  test("nameservers must be IP:port", () => {
    assert.deepEqual(parseNameservers(["127.0.0.53:5353", "[::1]:53"]), ["127.0.0.53:5353", "[::1]:53"]);
    for (const bad of [[], ["dns.local:53"], ["127.0.0.1"], "127.0.0.1:53"]) {
      assert.throws(
        () => parseNameservers(bad),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
      );
    }
  });
});

/** A resolver answering from a table; a missing name fails as NXDOMAIN does. */
function tableResolver(table: { a?: Record<string, string[]>; srv?: Record<string, SrvAnswer[]> }): DnsResolver & {
  queries: number;
} {
  const fail = (name: string) => Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  const r = {
    queries: 0,
    resolve4: async (name: string) => {
      r.queries++;
      const hosts = table.a?.[name];
      if (hosts === undefined) throw fail(name);
      return hosts;
    },
    resolve6: async (name: string) => {
      throw fail(name);
    },
    resolveSrv: async (name: string) => {
      r.queries++;
      const records = table.srv?.[name];
      if (records === undefined) throw fail(name);
      return records;
    },
    cancel: () => {},
  };
  return r;
}

describe("dnsPoll on a fake clock", () => {
  const own = { host: "127.0.0.1", port: 7000 };

  test("reports every address but our own at our port, polls every interval, backs off on failures", async () => {
    const clock = new FakeClock();
    const table = { a: { "mesh.test": ["127.0.0.1", "127.0.0.2", "127.0.0.3"] } as Record<string, string[]> };
    const resolver = tableResolver(table);
    const peers: DiscoveryPeer[] = [];
    const failures: MeshError[] = [];
    const d = dnsPoll(
      { query: "mesh.test", pollingIntervalMs: 1000, maxBackoffMs: 4000 },
      { clock, random: middle, resolver, onFailure: (e) => failures.push(e) },
    );
    await d.start({ name: "me", address: own, onPeer: (p) => peers.push(p) });
    assert.deepEqual(
      peers.map((p) => addressKey(p.address)),
      ["127.0.0.2:7000", "127.0.0.3:7000"],
    );
    delete table.a["mesh.test"];
    const pollsAt = async (ms: number) => {
      clock.advance(ms);
      await new Promise((resolve) => setImmediate(resolve));
      return d.stats().polls;
    };
    // Polls at 1000 (fails), then after 1000, 2000, 4000, 4000 ms.
    assert.equal(await pollsAt(1000), 2);
    assert.equal(await pollsAt(999), 2);
    assert.equal(await pollsAt(1), 3);
    assert.equal(await pollsAt(1999), 3);
    assert.equal(await pollsAt(1), 4);
    assert.equal(await pollsAt(4000), 5);
    assert.equal(await pollsAt(4000), 6);
    assert.equal(d.stats().failuresByReason.nxdomain, 5);
    assert.equal(failures.length, 5);
    assert.deepEqual(d.peers().map(addressKey), ["127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000"], "kept");
    table.a["mesh.test"] = ["127.0.0.4"];
    assert.equal(await pollsAt(4000), 7);
    assert.equal(d.stats().lastFailure, undefined);
    assert.equal(await pollsAt(1000), 8, "back to the polling interval after a success");
    await d.stop();
    assert.equal(await pollsAt(100_000), 8, "no poll after stop");
  });

  test("SRV: sorted by priority, targets resolved, ports from the records; maxPeers caps the answer", async () => {
    const resolver = tableResolver({
      srv: {
        "_gossip._udp.mesh": [
          { name: "b.mesh", port: 7002, priority: 10, weight: 0 },
          { name: "a.mesh", port: 7001, priority: 0, weight: 0 },
          { name: "127.0.0.9", port: 7009, priority: 20, weight: 0 },
          { name: "gone.mesh", port: 7003, priority: 0, weight: 0 },
          { name: "zero.mesh", port: 0, priority: 0, weight: 0 },
        ],
      },
      a: { "a.mesh": ["127.0.0.1"], "b.mesh": ["127.0.0.2"] },
    });
    const peers: DiscoveryPeer[] = [];
    const d = dnsPoll({ query: "_gossip._udp.mesh", type: "SRV", maxPeers: 3 }, { clock: new FakeClock(), resolver });
    await d.start({ name: "me", address: { host: "127.0.0.1", port: 1 }, onPeer: (p) => peers.push(p) });
    await d.stop();
    assert.deepEqual(
      peers.map((p) => addressKey(p.address)),
      ["127.0.0.1:7001", "127.0.0.2:7002"],
    );
    assert.equal(d.stats().dropped, 2, "one over maxPeers, one target that did not resolve");
  });

  test("an onPeer or onFailure that throws does not stop polling", async () => {
    const clock = new FakeClock();
    const resolver = tableResolver({ a: {} });
    const d = dnsPoll(
      { query: "x.test", pollingIntervalMs: 10 },
      {
        clock,
        resolver,
        onFailure: () => {
          throw new Error("listener bug");
        },
      },
    );
    await d.start({ name: "me", address: own, onPeer: () => {} });
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(d.stats().polls >= 5);
    await d.stop();
  });
});
