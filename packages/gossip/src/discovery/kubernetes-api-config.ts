import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { invalidArgument } from "@mesh/interface";
import { integer } from "./dns-poll.js";
import type { KubeHttpConfig } from "./kube-http.js";
import { DEFAULT_KUBERNETES_NAMESPACE } from "./kubernetes-dns.js";
import { DEFAULT_GOSSIP_PORT_NAME } from "./kubernetes-dns-srv.js";
import { DEFAULT_MAX_BACKOFF_MS, DEFAULT_POLLING_INTERVAL_MS } from "./poll-backoff.js";

/** Where Kubernetes mounts a pod's service-account credentials. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** The API server ends each watch after this; the strategy then resumes from the last resourceVersion. */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 290;
export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_MAX_API_PEERS = 4_096;
/** A page of 500 full slices (100 endpoints each) is about 10 MB of JSON; larger answers are refused. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface KubernetesApiInit {
  /** Namespace of the slices. @default the pod's own (the service account's namespace file), else "default" */
  readonly namespace?: string;
  /** The Service whose EndpointSlices name the nodes (selector `kubernetes.io/service-name=<service>`). */
  readonly service?: string;
  /** A label selector for the slices, instead of (or beside) `service` (libcluster `kubernetes_selector`). */
  readonly labelSelector?: string;
  /** The slice port that is the gossip port. @default "gossip" */
  readonly portName?: string;
  /** The API server's URL. @default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT */
  readonly apiServer?: string;
  /** Bearer token file, re-read at every request. @default the service account's token */
  readonly tokenFile?: string;
  /** PEM bundle the API server's certificate is checked against. @default the service account's ca.crt */
  readonly caFile?: string;
  /** Time between lists without watch, and between re-reports of the known set with it, in ms. @default 5000 */
  readonly pollingIntervalMs?: number;
  /** Watch the slices (changes arrive at once) instead of only polling lists. @default true */
  readonly watch?: boolean;
  /** Longest delay between retries after failures, in ms. @default 30000 */
  readonly maxBackoffMs?: number;
  /** Timeout of one list request, in ms. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Server-side length of one watch, in s. @default 290 */
  readonly watchTimeoutSeconds?: number;
  /** Slices per list page (`limit`); later pages are fetched with `continue`. @default 500 */
  readonly pageSize?: number;
  /** Most peers (and slices) kept, whatever the API returns. @default 4096 */
  readonly maxPeers?: number;
  /** Largest list page, and largest watch event, in bytes. @default 16 MiB */
  readonly maxBodyBytes?: number;
}

/** The options, checked and with their defaults applied. */
export interface KubernetesApiConfig {
  readonly namespace: string;
  readonly labelSelector: string;
  readonly portName: string;
  readonly watch: boolean;
  readonly intervalMs: number;
  readonly maxBackoffMs: number;
  readonly requestTimeoutMs: number;
  readonly watchSeconds: number;
  readonly pageSize: number;
  readonly maxPeers: number;
  readonly http: KubeHttpConfig;
}

/** Validates the options; in a pod the API server, credentials and namespace default from the service account. */
export function kubernetesApiConfig(
  init: KubernetesApiInit,
  env: Readonly<Record<string, string | undefined>>,
): KubernetesApiConfig {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const namespace = init.namespace ?? podNamespace() ?? DEFAULT_KUBERNETES_NAMESPACE;
  if (typeof namespace !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw invalidArgument("namespace", "a DNS-1123 label", namespace);
  const portName = init.portName ?? DEFAULT_GOSSIP_PORT_NAME;
  if (typeof portName !== "string") throw invalidArgument("portName", "a string", portName);
  const watch = init.watch ?? true;
  if (typeof watch !== "boolean") throw invalidArgument("watch", "a boolean", watch);
  const intervalMs = integer("pollingIntervalMs", init.pollingIntervalMs ?? DEFAULT_POLLING_INTERVAL_MS, 1);
  return Object.freeze({
    namespace,
    labelSelector: selectorOf(init.service, init.labelSelector),
    portName,
    watch,
    intervalMs,
    maxBackoffMs: integer("maxBackoffMs", init.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, intervalMs),
    requestTimeoutMs: integer("requestTimeoutMs", init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 1),
    watchSeconds: integer("watchTimeoutSeconds", init.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS, 1),
    pageSize: integer("pageSize", init.pageSize ?? DEFAULT_PAGE_SIZE, 1),
    maxPeers: integer("maxPeers", init.maxPeers ?? DEFAULT_MAX_API_PEERS, 1),
    http: Object.freeze({
      strategy: "kubernetes-api",
      apiServer: apiServerUrl(init.apiServer, env),
      tokenFile: init.tokenFile ?? `${SERVICE_ACCOUNT_DIR}/token`,
      caFile: init.caFile ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`,
      maxBodyBytes: integer("maxBodyBytes", init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 1024),
    }),
  });
}

function selectorOf(service: unknown, labelSelector: unknown): string {
  if (service !== undefined && (typeof service !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(service)))
    throw invalidArgument("service", "a DNS-1123 label", service);
  if (labelSelector !== undefined && (typeof labelSelector !== "string" || labelSelector.length === 0))
    throw invalidArgument("labelSelector", "a non-empty label selector", labelSelector);
  const parts = [service === undefined ? undefined : `${SERVICE_NAME_LABEL}=${service}`, labelSelector];
  const selector = parts.filter((p) => p !== undefined).join(",");
  if (selector === "") throw invalidArgument("service", "given (or labelSelector)", service);
  return selector;
}

function apiServerUrl(apiServer: unknown, env: Readonly<Record<string, string | undefined>>): URL {
  let text = apiServer;
  if (text === undefined) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? "443";
    if (host === undefined || host === "")
      throw invalidArgument("apiServer", "given outside a pod (KUBERNETES_SERVICE_HOST is not set)", apiServer);
    text = `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  }
  if (typeof text !== "string") throw invalidArgument("apiServer", "an https:// URL", text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument("apiServer", "an https:// URL", text);
  }
  if (url.protocol !== "https:") throw invalidArgument("apiServer", "an https:// URL", text);
  return url;
}

/** The pod's namespace, as its service account says, or undefined outside a pod. */
function podNamespace(): string | undefined {
  try {
    const text = readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}
