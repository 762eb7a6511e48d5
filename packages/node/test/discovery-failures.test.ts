import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { skipUnless, waitFor } from "@mesh/testing";
import {
  type DiscoveryContext,
  type DiscoveryPeer,
  dnsPoll,
  isMeshError,
  type KubernetesApiInit,
  kubernetesApi,
  type MeshError,
} from "../src/index.js";
import { FakeKubeApi, type Fault } from "./fake-kube-api.js";
import { createTestCa, hasOpenssl } from "./test-ca.js";

const skip = skipUnless(hasOpenssl(), "the openssl CLI is not installed (it makes the test CA)");

function probe(): { context: DiscoveryContext; peers: DiscoveryPeer[]; failures: MeshError[] } {
  const peers: DiscoveryPeer[] = [];
  const failures: MeshError[] = [];
  const context: DiscoveryContext = {
    name: "probe",
    address: { host: "127.0.0.1", port: 1 },
    onPeer: (peer) => peers.push(peer),
    onFailure: (error) => failures.push(error),
  };
  return { context, peers, failures };
}

describe("Kubernetes API failures are retried with backoff, counted by reason, and recovered from", { skip }, () => {
  let api: FakeKubeApi;
  before(async () => {
    api = await FakeKubeApi.start("default");
    api.putSlice("mesh-a", "mesh", 7946, [{ ip: "127.0.0.77", pod: "mesh-0" }]);
  });
  after(async () => {
    await api?.stop();
  });
  const init = (): KubernetesApiInit => ({
    service: "mesh",
    namespace: "default",
    apiServer: api.url,
    tokenFile: api.tokenFile,
    caFile: api.caFile,
    pollingIntervalMs: 20,
    maxBackoffMs: 80,
    maxBodyBytes: 4096,
  });

  const cases: [string, "list" | "watch", Fault, string][] = [
    ["401 Unauthorized", "list", { status: 401 }, "http-401"],
    ["403 Forbidden (no RBAC for endpointslices)", "list", { status: 403 }, "http-403"],
    ["500 Internal Server Error", "list", { status: 500 }, "http-5xx"],
    ["503 Service Unavailable", "list", { status: 503 }, "http-5xx"],
    ["a list body that is not JSON", "list", { malformed: true }, "malformed"],
    ["a list body larger than maxBodyBytes", "list", { oversized: true }, "too-large"],
    ["a watch stream cut inside an event", "watch", { truncatedWatch: true }, "truncated"],
    ["a watch answered 500", "watch", { status: 500 }, "http-5xx"],
  ];
  for (const [what, kind, fault, reason] of cases) {
    it(`${what} → a "${reason}" failure, then recovery`, async () => {
      const { context, peers, failures } = probe();
      api.inject(kind, fault, 2);
      const strategy = kubernetesApi(init());
      try {
        await strategy.start(context);
        await waitFor(`two "${reason}" failures`, () => (strategy.stats().failuresByReason[reason] ?? 0) >= 2, {
          describe: () => JSON.stringify(strategy.stats()),
        });
        await waitFor("recovery: the peer is reported", () => peers.some((p) => p.address.host === "127.0.0.77"));
        const error = failures.find((f) => f.details?.reason === reason);
        assert.ok(isMeshError(error, "MESH_ERR_DISCOVERY_FAILED"), String(error));
        assert.equal(error.details?.strategy, "kubernetes-api");
        assert.equal(error.retryable, true);
        if (kind === "watch") await waitFor("the watch to resume", () => strategy.stats().lastFailure === undefined);
      } finally {
        await strategy.stop();
      }
    });
  }

  it("a wrong token is refused by the server (401) until the token file holds the right one", async () => {
    const ca = createTestCa();
    const tokenFile = join(ca.dir, "token");
    writeFileSync(tokenFile, "not-the-token");
    const { context, peers } = probe();
    const strategy = kubernetesApi({ ...init(), tokenFile });
    try {
      await strategy.start(context);
      await waitFor("a 401", () => (strategy.stats().failuresByReason["http-401"] ?? 0) >= 1);
      assert.equal(peers.length, 0);
      writeFileSync(tokenFile, readFileSync(api.tokenFile));
      await waitFor("the rotated token to be used", () => peers.length > 0);
    } finally {
      await strategy.stop();
      ca.remove();
    }
  });

  it("an API server whose certificate the CA file does not vouch for is never trusted", async () => {
    const other = createTestCa();
    const { context, peers } = probe();
    const strategy = kubernetesApi({ ...init(), caFile: other.caFile });
    try {
      await strategy.start(context);
      await waitFor("network failures", () => (strategy.stats().failuresByReason.network ?? 0) >= 2);
      assert.equal(peers.length, 0);
    } finally {
      await strategy.stop();
      other.remove();
    }
  });

  it("missing credentials are a failure, not a crash", async () => {
    const { context } = probe();
    const strategy = kubernetesApi({ ...init(), tokenFile: "/nonexistent/mesh/token" });
    try {
      await strategy.start(context);
      await waitFor("a credentials failure", () => (strategy.stats().failuresByReason.credentials ?? 0) >= 1);
    } finally {
      await strategy.stop();
    }
  });

  it("rejects bad options with MESH_ERR_INVALID_ARGUMENT, and needs an apiServer outside a pod", () => {
    const bad: KubernetesApiInit[] = [
      { ...init(), service: "Not_A_Label" },
      { ...init(), service: undefined, labelSelector: undefined },
      { ...init(), apiServer: "http://127.0.0.1:1" },
      { ...init(), pollingIntervalMs: 0 },
      { ...init(), watch: "yes" as unknown as boolean },
      { service: "mesh", namespace: "default" },
    ];
    for (const options of bad) {
      assert.throws(
        () => kubernetesApi(options, { env: {} }),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
        JSON.stringify(options),
      );
    }
    const inPod = kubernetesApi(
      { service: "mesh", namespace: "default" },
      { env: { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" } },
    );
    assert.equal(inPod.labelSelector, "kubernetes.io/service-name=mesh");
  });
});

describe("DNS resolver timeouts", () => {
  it('a nameserver that never answers is a "timeout" failure, retried with backoff', async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    const { context, failures } = probe();
    const strategy = dnsPoll({
      query: "mesh.mesh.test",
      nameservers: [`127.0.0.1:${silent.address().port}`],
      pollingIntervalMs: 20,
      maxBackoffMs: 40,
      timeoutMs: 50,
    });
    try {
      await strategy.start(context);
      await waitFor("two timeouts", () => (strategy.stats().failuresByReason.timeout ?? 0) >= 2);
      assert.ok(failures.every((f) => isMeshError(f, "MESH_ERR_DISCOVERY_FAILED")));
    } finally {
      await strategy.stop();
      silent.close();
    }
  });
});
