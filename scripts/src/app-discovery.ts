/**
 * The network options of the example app's node, from its settings: multicast on
 * the container's own interface, a static seed list, or one of the Kubernetes
 * strategies of `@mesh/node`. Exactly one way of finding peers runs, so a node
 * never joins an address its configured strategy did not name.
 */
import {
  type Discovery,
  type KubernetesApiInit,
  type KubernetesDnsInit,
  type KubernetesDnsSrvInit,
  kubernetesApi,
  kubernetesDns,
  kubernetesDnsSrv,
  type NetworkInit,
} from "@mesh/node";
import type { AppConfig } from "./app-config.js";
import { PORT_NAMES } from "./app-config.js";

/** `init` without its undefined values, so the strategy's own defaults apply. */
function defined<T extends object>(init: T): T {
  return Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as T;
}

/** kubernetesDns: the A records of `<service>.<namespace>.svc.<clusterDomain>`, at this node's gossip port. */
export function kubernetesDnsInit(config: AppConfig): KubernetesDnsInit {
  return defined({
    service: config.service ?? "",
    namespace: config.namespace,
    clusterDomain: config.clusterDomain,
    nameservers: config.nameservers,
    pollingIntervalMs: config.pollingIntervalMs,
    port: config.gossipPort,
  });
}

/** kubernetesDnsSrv: `_gossip._udp.<service>.<namespace>.svc.<clusterDomain>`. */
export function kubernetesDnsSrvInit(config: AppConfig): KubernetesDnsSrvInit {
  return defined({
    service: config.service ?? "",
    namespace: config.namespace,
    clusterDomain: config.clusterDomain,
    nameservers: config.nameservers,
    pollingIntervalMs: config.pollingIntervalMs,
    portName: PORT_NAMES.gossip,
    protocol: "udp" as const,
  });
}

/** kubernetesApi: the Service's EndpointSlices, port "gossip"; API server and credentials from the pod. */
export function kubernetesApiInit(config: AppConfig): KubernetesApiInit {
  return defined({
    service: config.service,
    namespace: config.namespace,
    portName: PORT_NAMES.gossip,
    pollingIntervalMs: config.pollingIntervalMs,
  });
}

function strategy(config: AppConfig): Discovery | undefined {
  switch (config.discovery) {
    case "kubernetes-dns":
      return kubernetesDns(kubernetesDnsInit(config));
    case "kubernetes-dns-srv":
      return kubernetesDnsSrv(kubernetesDnsSrvInit(config));
    case "kubernetes-api":
      return kubernetesApi(kubernetesApiInit(config));
    default:
      return undefined;
  }
}

export function networkInit(config: AppConfig): NetworkInit {
  const endpoints: NetworkInit = {
    host: "0.0.0.0",
    advertiseHost: config.advertiseHost,
    gossipPort: config.gossipPort,
    callPort: config.callPort,
    ...(config.secret === undefined ? {} : { secret: config.secret }),
    gossip: {
      preset: config.gossipPreset,
      ...(config.probeIntervalMs === undefined ? {} : { probeIntervalMs: config.probeIntervalMs }),
    },
  };
  if (config.discovery === "multicast") {
    return {
      ...endpoints,
      multicast: true,
      multicastInterface: config.multicastInterface,
      ...(config.multicastPort === undefined ? {} : { port: config.multicastPort }),
    };
  }
  if (config.discovery === "seeds") return { ...endpoints, multicast: false, seeds: config.seeds };
  return { ...endpoints, multicast: false, discovery: [strategy(config) as Discovery] };
}
