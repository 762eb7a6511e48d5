/**
 * The network options of the example app's node, from its settings: multicast on
 * the container's own interface, a static seed list, or one of the Kubernetes
 * strategies of `@mesh/node`. Exactly one way of finding peers runs, so a node
 * never joins an address its configured strategy did not name.
 */

import type { Discovery, NetworkInit } from "@mesh/node";
import * as mesh from "@mesh/node";
import { type AppConfig, AppConfigError, PORT_NAMES } from "./app-config.js";

type StrategyFactory = (init: Record<string, unknown>) => Discovery;

/**
 * A discovery strategy exported by `@mesh/node`, looked up by name at run time so
 * the app names the one its settings ask for and fails with a clear message on a
 * build of the library that lacks it.
 */
function strategy(name: "kubernetesDns" | "kubernetesDnsSrv" | "kubernetesApi"): StrategyFactory {
  const factory = (mesh as unknown as Record<string, unknown>)[name];
  if (typeof factory !== "function") {
    throw new AppConfigError(`this build of @mesh/node has no ${name}() discovery strategy`);
  }
  return factory as StrategyFactory;
}

/** `init` without its undefined values, so the strategy's own defaults apply. */
function defined(init: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined));
}

/** The options passed to the chosen Kubernetes strategy (exported for the manifest test). */
export function kubernetesInit(config: AppConfig): Record<string, unknown> {
  const dns = {
    service: config.service,
    namespace: config.namespace,
    clusterDomain: config.clusterDomain,
    nameservers: config.nameservers,
    pollingIntervalMs: config.pollingIntervalMs,
  };
  switch (config.discovery) {
    case "kubernetes-dns":
      return defined({ ...dns, port: config.gossipPort });
    case "kubernetes-dns-srv":
      return defined({ ...dns, portName: PORT_NAMES.gossip, protocol: "udp" });
    case "kubernetes-api":
      return defined({
        service: config.service,
        namespace: config.namespace,
        portName: PORT_NAMES.gossip,
        pollingIntervalMs: config.pollingIntervalMs,
      });
    default:
      return {};
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
  switch (config.discovery) {
    case "multicast":
      return {
        ...endpoints,
        multicast: true,
        multicastInterface: config.multicastInterface,
        ...(config.multicastPort === undefined ? {} : { port: config.multicastPort }),
      };
    case "seeds":
      return { ...endpoints, multicast: false, seeds: config.seeds };
    case "kubernetes-dns":
      return { ...endpoints, multicast: false, discovery: [strategy("kubernetesDns")(kubernetesInit(config))] };
    case "kubernetes-dns-srv":
      return { ...endpoints, multicast: false, discovery: [strategy("kubernetesDnsSrv")(kubernetesInit(config))] };
    case "kubernetes-api":
      return { ...endpoints, multicast: false, discovery: [strategy("kubernetesApi")(kubernetesInit(config))] };
  }
}
