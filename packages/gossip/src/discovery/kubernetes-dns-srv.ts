import { invalidArgument } from "@mesh/interface";
import { type DnsPollComponents, type DnsPollDiscovery, type DnsPollTuning, dnsPollNamed } from "./dns-poll.js";
import {
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_KUBERNETES_NAMESPACE,
  dnsLabel,
  kubernetesServiceName,
} from "./kubernetes-dns.js";

/** The Service port name the manifests give the gossip port. */
export const DEFAULT_GOSSIP_PORT_NAME = "gossip";
/** Gossip (SWIM) runs over UDP; its port also carries TCP push-pull, so "tcp" names the same port. */
export const DEFAULT_SRV_PROTOCOL = "udp";

export interface KubernetesDnsSrvInit extends DnsPollTuning {
  /** The headless Service (libcluster `service`). */
  readonly service: string;
  /** @default "default" */
  readonly namespace?: string;
  /** The Service's port name whose SRV records give the gossip port. @default "gossip" */
  readonly portName?: string;
  /** The port's protocol, "udp" or "tcp". @default "udp" */
  readonly protocol?: "udp" | "tcp";
  /** @default "cluster.local" */
  readonly clusterDomain?: string;
}

/** `_<portName>._<protocol>.<service>.<namespace>.svc.<clusterDomain>`. */
export function kubernetesSrvName(init: KubernetesDnsSrvInit): string {
  const protocol = init.protocol ?? DEFAULT_SRV_PROTOCOL;
  if (protocol !== "udp" && protocol !== "tcp") throw invalidArgument("protocol", '"udp" or "tcp"', protocol);
  const portName = dnsLabel("portName", init.portName ?? DEFAULT_GOSSIP_PORT_NAME);
  const service = kubernetesServiceName(
    init.service,
    init.namespace ?? DEFAULT_KUBERNETES_NAMESPACE,
    init.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
  );
  return `_${portName}._${protocol}.${service}`;
}

/**
 * libcluster's Kubernetes.DNSSRV: polls the SRV records of a headless Service's
 * named port; each record names a pod (`<hostname>.<service>…` in a StatefulSet)
 * and the port, so pods need not share one gossip port.
 */
export function kubernetesDnsSrv(init: KubernetesDnsSrvInit, components: DnsPollComponents = {}): DnsPollDiscovery {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const { service: _s, namespace: _n, portName: _p, protocol: _t, clusterDomain: _d, ...tuning } = init;
  return dnsPollNamed("kubernetes-dns-srv", { ...tuning, query: kubernetesSrvName(init), type: "SRV" }, components);
}
