import { invalidArgument } from "@mesh/interface";
import { type DnsPollComponents, type DnsPollDiscovery, type DnsPollTuning, dnsPollNamed } from "./dns-poll.js";

/** The namespace and cluster domain Kubernetes uses when none is configured. */
export const DEFAULT_KUBERNETES_NAMESPACE = "default";
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

export interface KubernetesDnsInit extends DnsPollTuning {
  /** The headless Service that selects the nodes' pods (libcluster `service`). */
  readonly service: string;
  /** Its namespace (libcluster resolves it in the pod's own). @default "default" */
  readonly namespace?: string;
  /** The cluster's DNS domain. @default "cluster.local" */
  readonly clusterDomain?: string;
  /** Gossip port of the pods. @default this node's own gossip port */
  readonly port?: number;
}

/** `<service>.<namespace>.svc.<clusterDomain>`: a headless Service's A records name every ready pod. */
export function kubernetesServiceName(service: string, namespace: string, clusterDomain: string): string {
  return `${dnsLabel("service", service)}.${dnsLabel("namespace", namespace)}.svc.${domain(clusterDomain)}`;
}

/**
 * libcluster's Kubernetes.DNS: polls the A records of a headless Service. The
 * Service publishes only ready pods (unless publishNotReadyAddresses), so a pod
 * that fails its readiness probe or terminates drops out of the answer.
 */
export function kubernetesDns(init: KubernetesDnsInit, components: DnsPollComponents = {}): DnsPollDiscovery {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const { service, namespace, clusterDomain, ...tuning } = init;
  const query = kubernetesServiceName(
    service,
    namespace ?? DEFAULT_KUBERNETES_NAMESPACE,
    clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
  );
  return dnsPollNamed("kubernetes-dns", { ...tuning, query, type: "A" }, components);
}

/** A DNS-1123 label: what Kubernetes allows for Service and namespace names (and port names, with a "_"). */
export function dnsLabel(property: string, value: unknown): string {
  if (typeof value !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw invalidArgument(property, "a DNS-1123 label (lowercase letters, digits, '-'; at most 63)", value);
  }
  return value;
}

function domain(value: unknown): string {
  if (typeof value !== "string" || value.length > 200 || !value.split(".").every((l) => /^[a-z0-9-]{1,63}$/i.test(l))) {
    throw invalidArgument("clusterDomain", "a DNS domain such as cluster.local", value);
  }
  return value;
}
