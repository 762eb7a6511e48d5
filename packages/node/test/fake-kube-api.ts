import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createTestCa, type TestCa } from "./test-ca.js";

/** One endpoint of a slice, in the terms a test thinks in. */
export interface FakeEndpoint {
  readonly ip: string;
  readonly pod: string;
  readonly ready?: boolean;
  readonly terminating?: boolean;
}

/** A fault injected into the next matching requests. */
export type Fault =
  | { readonly status: number }
  | { readonly malformed: true }
  | { readonly truncatedWatch: true }
  | { readonly oversized: true };

type Slice = Record<string, unknown>;
interface HistoryEvent {
  readonly rv: number;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: Slice;
}

const PREFIX = "/apis/discovery.k8s.io/v1/namespaces/";

/**
 * An HTTPS API server on loopback with its own CA that serves
 * discovery.k8s.io/v1 EndpointSlices the way kube-apiserver does: lists
 * (paginated by `limit`/`continue`, items without kind/apiVersion), watch
 * streams of newline-delimited `{"type","object"}` events from a
 * resourceVersion, a 410 Expired for a version older than the compacted history,
 * and a bearer-token check against the token file's current content.
 */
export class FakeKubeApi {
  readonly namespace: string;
  readonly tokenFile: string;
  readonly caFile: string;
  readonly requests: string[] = [];
  readonly #ca: TestCa;
  readonly #server: Server;
  readonly #slices = new Map<string, Slice>();
  readonly #history: HistoryEvent[] = [];
  readonly #watchers = new Set<{ res: ServerResponse; selector: Map<string, string> }>();
  readonly #faults: { kind: "list" | "watch"; fault: Fault }[] = [];
  #rv = 1000;
  #compactedBelow = 0;
  #token: string;

  private constructor(ca: TestCa, namespace: string) {
    this.#ca = ca;
    this.namespace = namespace;
    this.caFile = ca.caFile;
    this.tokenFile = join(ca.dir, "token");
    this.#token = randomBytes(16).toString("hex");
    writeFileSync(this.tokenFile, `${this.#token}\n`);
    this.#server = createServer({ cert: ca.cert, key: ca.key }, (req, res) => this.#handle(req, res));
  }

  static async start(namespace = "default"): Promise<FakeKubeApi> {
    const api = new FakeKubeApi(createTestCa(), namespace);
    await new Promise<void>((resolve) => api.#server.listen(0, "127.0.0.1", resolve));
    return api;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Writes a new token to the token file; from now on only it is accepted (a kubelet rotation). */
  rotateToken(): void {
    this.#token = randomBytes(16).toString("hex");
    writeFileSync(this.tokenFile, this.#token);
  }

  /** The next `count` requests of `kind` fail with `fault`. */
  inject(kind: "list" | "watch", fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.#faults.push({ kind, fault });
  }

  /** Creates or replaces a slice of `service` (an ADDED or MODIFIED event). */
  putSlice(name: string, service: string, port: number, endpoints: readonly FakeEndpoint[], portName = "gossip"): void {
    const rv = ++this.#rv;
    const previous = this.#slices.get(name);
    const metadata = (previous?.metadata as Record<string, unknown> | undefined) ?? {
      name,
      generateName: `${service}-`,
      namespace: this.namespace,
      uid: randomUUID(),
      generation: 0,
      creationTimestamp: "2026-12-02T00:00:00Z",
      labels: {
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        "kubernetes.io/service-name": service,
      },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "Service",
          name: service,
          uid: randomUUID(),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    };
    const slice: Slice = {
      kind: "EndpointSlice",
      apiVersion: "discovery.k8s.io/v1",
      metadata: { ...metadata, resourceVersion: String(rv), generation: Number(metadata.generation) + 1 },
      addressType: "IPv4",
      endpoints: endpoints.map((e) => ({
        addresses: [e.ip],
        conditions: {
          ready: (e.ready ?? true) && !(e.terminating ?? false),
          serving: e.ready ?? true,
          terminating: e.terminating ?? false,
        },
        hostname: e.pod,
        targetRef: { kind: "Pod", namespace: this.namespace, name: e.pod, uid: randomUUID() },
        nodeName: "kind-worker",
      })),
      ports: [
        { name: portName, protocol: "UDP", port },
        { name: `${portName}-tcp`, protocol: "TCP", port },
      ],
    };
    this.#slices.set(name, slice);
    this.#emit({ rv, type: previous === undefined ? "ADDED" : "MODIFIED", object: slice });
  }

  deleteSlice(name: string): void {
    const slice = this.#slices.get(name);
    if (slice === undefined) return;
    this.#slices.delete(name);
    const rv = ++this.#rv;
    const object = { ...slice, metadata: { ...(slice.metadata as object), resourceVersion: String(rv) } };
    this.#emit({ rv, type: "DELETED", object });
  }

  /** Forgets the history so far (etcd compaction): a watch from an older version gets 410 Gone. */
  compact(): void {
    this.#compactedBelow = this.#rv;
    this.#history.length = 0;
  }

  /** Ends every open watch cleanly, as the API server does at timeoutSeconds. */
  endWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  get openWatches(): number {
    return this.#watchers.size;
  }

  async stop(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.#watchers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#ca.remove();
  }

  #emit(event: HistoryEvent): void {
    this.#history.push(event);
    for (const w of this.#watchers) if (matches(event.object, w.selector)) writeEvent(w.res, event);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", this.url);
    this.requests.push(`${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${this.#token}`) {
      status(res, 401, "Unauthorized", "Unauthorized");
      return;
    }
    const path = `${PREFIX}${this.namespace}/endpointslices`;
    if (req.method !== "GET" || url.pathname !== path) {
      status(res, 404, "NotFound", "the server could not find the requested resource");
      return;
    }
    const watch = url.searchParams.get("watch") === "true";
    const faultAt = this.#faults.findIndex((f) => f.kind === (watch ? "watch" : "list"));
    const fault = faultAt < 0 ? undefined : this.#faults.splice(faultAt, 1)[0]?.fault;
    if (fault !== undefined && "status" in fault) {
      status(res, fault.status, "Injected", `injected ${fault.status}`);
      return;
    }
    if (fault !== undefined && "malformed" in fault) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"kind":"EndpointSliceList","items":[{"metadata":');
      return;
    }
    if (fault !== undefined && "oversized" in fault) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"kind":"EndpointSliceList","padding":"${"x".repeat(64 * 1024)}"}`);
      return;
    }
    const selector = parseSelector(url.searchParams.get("labelSelector") ?? "");
    if (watch) this.#watch(res, url, selector, fault !== undefined);
    else this.#list(res, url, selector);
  }

  #list(res: ServerResponse, url: URL, selector: Map<string, string>): void {
    const limit = Number(url.searchParams.get("limit") ?? "0");
    const token = url.searchParams.get("continue");
    let rv = this.#rv;
    let start = 0;
    if (token !== null) {
      const parsed = JSON.parse(Buffer.from(token, "base64").toString()) as { rv: number; start: number };
      if (parsed.rv < this.#compactedBelow) {
        status(res, 410, "Expired", "The provided continue parameter is too old");
        return;
      }
      rv = parsed.rv;
      start = parsed.start;
    }
    const all = [...this.#slices.values()].filter((s) => matches(s, selector)).sort(byName);
    const end = limit > 0 ? Math.min(all.length, start + limit) : all.length;
    const items = all.slice(start, end).map(({ kind: _k, apiVersion: _a, ...item }) => item);
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (end < all.length) {
      metadata.continue = Buffer.from(JSON.stringify({ rv, start: end })).toString("base64");
      metadata.remainingItemCount = all.length - end;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "EndpointSliceList", apiVersion: "discovery.k8s.io/v1", metadata, items }));
  }

  #watch(res: ServerResponse, url: URL, selector: Map<string, string>, truncate: boolean): void {
    const from = Number(url.searchParams.get("resourceVersion") ?? "0");
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders(); // as kube-apiserver does: the watch is open before its first event
    if (from < this.#compactedBelow) {
      const gone = {
        type: "ERROR",
        object: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: `too old resource version: ${from} (${this.#compactedBelow})`,
          reason: "Expired",
          code: 410,
        },
      };
      res.end(`${JSON.stringify(gone)}\n`);
      return;
    }
    if (truncate) {
      res.write('{"type":"MODIFIED","object":{"kind":"EndpointSlice","metadata":{"na', () => res.socket?.destroy());
      return;
    }
    for (const event of this.#history) if (event.rv > from && matches(event.object, selector)) writeEvent(res, event);
    const watcher = { res, selector };
    this.#watchers.add(watcher);
    const seconds = Number(url.searchParams.get("timeoutSeconds") ?? "60");
    const timer = setTimeout(() => res.end(), seconds * 1000);
    res.on("close", () => {
      clearTimeout(timer);
      this.#watchers.delete(watcher);
    });
  }
}

function writeEvent(res: ServerResponse, event: HistoryEvent): void {
  res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
}

function parseSelector(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const term of text.split(",").filter((t) => t.length > 0)) {
    const [key, value] = term.split("=");
    out.set(key ?? "", value ?? "");
  }
  return out;
}

function matches(slice: Slice, selector: Map<string, string>): boolean {
  const labels = ((slice.metadata as Record<string, unknown>).labels ?? {}) as Record<string, string>;
  for (const [key, value] of selector) if (labels[key] !== value) return false;
  return true;
}

function byName(a: Slice, b: Slice): number {
  const name = (s: Slice) => String((s.metadata as Record<string, unknown>).name);
  return name(a) < name(b) ? -1 : 1;
}
