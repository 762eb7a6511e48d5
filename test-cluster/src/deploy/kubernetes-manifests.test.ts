/**
 * deploy/kubernetes/ parsed and checked against the code it deploys: the ports and
 * their names are the app's defaults and what the Kubernetes strategies look up,
 * labels and selectors agree, the Role grants exactly the calls kubernetesApi makes,
 * the env the pods get is env the app reads (and it accepts it for each of the
 * three strategies), the probes hit the app's admin paths, the grace period covers
 * preStop plus the handoff, and the pods run as the image's non-root user.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { kubernetesApi, kubernetesDns, kubernetesDnsSrv } from "@mesh/node";
import { parseAllDocuments } from "yaml";
import {
  DEFAULT_ADMIN_PORT,
  DEFAULT_CALL_PORT,
  DEFAULT_GOSSIP_PORT,
  DEFAULT_HTTP_PORT,
  ENV,
  EXIT_MARGIN_MS,
  PORT_NAMES,
  readAppConfig,
} from "../../../scripts/dist/app-config.js";
import {
  kubernetesApiInit,
  kubernetesDnsInit,
  kubernetesDnsSrvInit,
  networkInit,
} from "../../../scripts/dist/app-discovery.js";

const DEPLOY = new URL("../../../deploy/", import.meta.url);

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked by the assertions below
type Doc = any;

function load(file: string): Doc[] {
  const text = readFileSync(fileURLToPath(new URL(`kubernetes/${file}`, DEPLOY)), "utf8");
  return parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, [], `${file} parses`);
    return d.toJS();
  });
}

const kustomization = load("kustomization.yaml")[0];
const docs: Doc[] = (kustomization.resources as string[]).flatMap(load);
const one = (kind: string, name?: string): Doc => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind} ${name ?? ""}`);
  return found[0];
};

const statefulSet = one("StatefulSet");
const pod = statefulSet.spec.template.spec;
const container = pod.containers[0];
const headless = one("Service", statefulSet.spec.serviceName);
const port = (name: string): Doc => container.ports.find((p: Doc) => p.name === name);

/** The pod's env as the app sees it, with field references filled as the kubelet would. */
function podEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const fields: Record<string, string> = {
    "metadata.name": "mesh-0",
    "metadata.namespace": "shop",
    "status.podIP": "10.1.2.3",
  };
  const env: Record<string, string> = {};
  for (const e of container.env as Doc[]) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.fieldRef !== undefined) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] as string;
    else if (e.valueFrom?.secretKeyRef !== undefined) env[e.name] = "a-secret-from-the-secret";
  }
  return { ...env, ...overrides };
}

describe("deploy/kubernetes agrees with the code", () => {
  test("every object carries the app's label; selectors, serviceName and the PDB agree", () => {
    const labels = statefulSet.spec.selector.matchLabels;
    for (const d of docs) {
      if (d.kind === "Kustomization") continue;
      assert.equal(d.metadata.labels["app.kubernetes.io/name"], "mesh", `${d.kind} ${d.metadata.name} is labelled`);
    }
    for (const [k, v] of Object.entries(labels)) assert.equal(statefulSet.spec.template.metadata.labels[k], v);
    for (const service of docs.filter((d) => d.kind === "Service")) assert.deepEqual(service.spec.selector, labels);
    assert.deepEqual(one("PodDisruptionBudget").spec.selector.matchLabels, labels);
    assert.equal(one("PodDisruptionBudget").spec.maxUnavailable, 1);
  });

  test("the container ports are the app's defaults under the names the strategies look up", () => {
    assert.deepEqual(port(PORT_NAMES.gossip), { name: "gossip", containerPort: DEFAULT_GOSSIP_PORT, protocol: "UDP" });
    assert.deepEqual(port(PORT_NAMES.gossipTcp), {
      name: "gossip-tcp",
      containerPort: DEFAULT_GOSSIP_PORT,
      protocol: "TCP",
    });
    assert.equal(port(PORT_NAMES.call).containerPort, DEFAULT_CALL_PORT);
    assert.equal(port(PORT_NAMES.http).containerPort, DEFAULT_HTTP_PORT);
    assert.equal(port(PORT_NAMES.admin).containerPort, DEFAULT_ADMIN_PORT);
    const names = (container.ports as Doc[]).map((p) => p.name);
    assert.equal(new Set(names).size, names.length, "port names are unique in the pod");
  });

  test("the headless Service names the gossip port as kubernetesDnsSrv and kubernetesApi expect", () => {
    assert.equal(headless.spec.clusterIP, "None");
    assert.equal(headless.spec.publishNotReadyAddresses, true);
    const config = readAppConfig(podEnv());
    const srv = kubernetesDnsSrvInit(config);
    const api = kubernetesApiInit(config);
    const gossip = (headless.spec.ports as Doc[]).find((p) => p.name === srv.portName);
    assert.ok(gossip, `the Service has a port named ${srv.portName}`);
    assert.equal(gossip.protocol.toLowerCase(), srv.protocol, "SRV records are looked up for its protocol");
    assert.equal(api.portName, srv.portName);
    assert.equal(gossip.port, kubernetesDnsInit(config).port, "A records are joined at the gossip port");
    assert.equal(gossip.targetPort, PORT_NAMES.gossip);
    for (const p of headless.spec.ports as Doc[]) assert.ok(port(p.targetPort), `targetPort ${p.targetPort} exists`);
  });

  test("the service name and namespace the app reads are the Service's and the pod's", () => {
    const config = readAppConfig(podEnv());
    assert.equal(config.service, headless.metadata.name);
    assert.equal(config.namespace, "shop", "MESH_NAMESPACE is the pod's namespace");
    assert.equal(config.name, "mesh-0", "the node is named after its pod");
    assert.equal(config.advertiseHost, "10.1.2.3", "the node advertises the pod's IP");
    assert.equal(kubernetesApiInit(config).service, headless.metadata.name);
    assert.equal(kubernetesDnsInit(config).service, headless.metadata.name);
    const known = new Set<string>([...Object.values(ENV), "POD_IP"]);
    for (const e of container.env as Doc[]) assert.ok(known.has(e.name), `the app reads ${e.name}`);
  });

  test("the app starts with each of the three Kubernetes strategies from this env", () => {
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
    for (const mode of ["kubernetes-dns", "kubernetes-dns-srv", "kubernetes-api"]) {
      const config = readAppConfig(podEnv({ MESH_DISCOVERY: mode }));
      if (mode === "kubernetes-api") {
        // networkInit builds the same init; here the API server comes from the pod's env.
        assert.equal(kubernetesApi(kubernetesApiInit(config), { env: inCluster }).name, "kubernetes-api");
        continue;
      }
      const init = networkInit(config);
      assert.equal(init.multicast, false, "no multicast in a pod network");
      assert.equal(init.discovery?.length, 1);
      assert.equal(init.discovery?.[0]?.name, mode === "kubernetes-dns" ? "kubernetes-dns" : "kubernetes-dns-srv");
    }
    assert.equal(kubernetesDns(kubernetesDnsInit(readAppConfig(podEnv()))).name, "kubernetes-dns");
    assert.equal(kubernetesDnsSrv(kubernetesDnsSrvInit(readAppConfig(podEnv()))).name, "kubernetes-dns-srv");
  });

  test("RBAC grants exactly list and watch on EndpointSlices to the pods' service account", () => {
    const role = one("Role");
    assert.deepEqual(role.rules, [
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    ]);
    const binding = one("RoleBinding");
    assert.deepEqual(binding.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: role.metadata.name,
    });
    const account = one("ServiceAccount");
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: account.metadata.name }]);
    assert.equal(pod.serviceAccountName, account.metadata.name);
  });

  test("probes hit the admin port's /readyz and /healthz; readiness can be reached", () => {
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: PORT_NAMES.admin });
    const { readyMinMembers } = readAppConfig(podEnv());
    assert.ok(readyMinMembers <= statefulSet.spec.replicas, "readiness never waits for more pods than there are");
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: PORT_NAMES.admin });
  });

  test("the grace period covers preStop, the handoff and the app's exit margin", () => {
    const command = (container.lifecycle.preStop.exec.command as string[]).join(" ");
    const preStopMs = Number(/setTimeout\(\(\) => \{\}, (\d+)\)/.exec(command)?.[1]);
    assert.ok(preStopMs > 0, `preStop waits: ${command}`);
    const stopMs = readAppConfig(podEnv()).stopTimeoutMs;
    assert.ok(
      pod.terminationGracePeriodSeconds * 1000 >= preStopMs + stopMs + EXIT_MARGIN_MS,
      `${pod.terminationGracePeriodSeconds} s >= ${preStopMs} + ${stopMs} + ${EXIT_MARGIN_MS} ms`,
    );
  });

  test("the pods run as the image's numeric non-root user", () => {
    const containerfile = readFileSync(fileURLToPath(new URL("Containerfile", DEPLOY)), "utf8");
    const user = /^USER (\d+):(\d+)$/m.exec(containerfile);
    assert.ok(user, "the Containerfile sets a numeric USER");
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, Number(user[1]));
    assert.equal(pod.securityContext.runAsGroup, Number(user[2]));
    assert.match(containerfile, /^ARG RUNTIME_IMAGE/m);
  });
});
