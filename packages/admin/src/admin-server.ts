import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Clock,
  invalidArgument,
  type Logger,
  MeshError,
  noopLogger,
  systemClock,
  type TimerHandle,
} from "@mesh/interface";
import type { Registry } from "prom-client";
import type { AdminSource } from "./admin-source.js";
import { createMeshRegistry } from "./call-metrics.js";
import type { CallRecorder } from "./call-recorder.js";
import { clusterView, explainView, localReport, RateSampler } from "./cluster-view.js";
import { DASHBOARD_HTML } from "./dashboard-page.js";
import { authorized, isLoopbackHost, readJsonBody, sendError, sendJson, statusOf } from "./http-util.js";
import { LiveFeed } from "./live-feed.js";

/** The conventional admin port (Kubernetes manifests name it "admin"). */
export const DEFAULT_ADMIN_PORT = 9464;
/** How long the cluster view waits for a peer's admin endpoint, in milliseconds. */
export const PEER_TIMEOUT_MS = 1_000;
/** How often the live feed pushes the cluster view, in milliseconds. */
export const FEED_INTERVAL_MS = 1_000;
/** Largest answer read from a peer's admin endpoint, in bytes. */
const MAX_PEER_REPLY_BYTES = 1 << 20;

/** Options of the admin endpoint (`createNode({ admin })`). */
export interface AdminInit {
  /** Interface to bind. Anything but loopback requires `token`. @default "127.0.0.1" */
  readonly host?: string;
  /** TCP port; 0 picks a free one. @default 9464 */
  readonly port?: number;
  /** Bearer token every request but the probes must carry (`Authorization: Bearer <token>`). @default none */
  readonly token?: string;
}

export interface AdminComponents {
  readonly source: AdminSource;
  readonly recorder: CallRecorder;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/**
 * The HTTP admin endpoint of one node: Prometheus metrics, probes, the cluster
 * and explain APIs, a call API for the CLI, and the dashboard with its live feed.
 */
export class AdminServer {
  readonly #source: AdminSource;
  readonly #recorder: CallRecorder;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #host: string;
  readonly #requestedPort: number;
  readonly #token: string | undefined;
  readonly #registry: Registry;
  readonly #sampler: RateSampler;
  readonly #server: Server;
  readonly #feed: LiveFeed;
  /** Peers are asked once a second while a dashboard is open: keep their connections. */
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 });
  #unsubscribe: (() => void) | undefined;
  #timer: TimerHandle | undefined;

  constructor(init: AdminInit, components: AdminComponents) {
    const host = init.host ?? "127.0.0.1";
    const port = init.port ?? DEFAULT_ADMIN_PORT;
    if (typeof host !== "string" || host === "") throw invalidArgument("admin.host", "a host name or address", host);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument("admin.port", "0..65535", port);
    if (init.token !== undefined && (typeof init.token !== "string" || init.token === "")) {
      throw invalidArgument("admin.token", "a non-empty string", init.token);
    }
    if (!isLoopbackHost(host) && init.token === undefined) {
      throw new MeshError(
        "MESH_ERR_INVALID_CONFIG",
        `admin.host ${host} is not loopback: the admin endpoint then requires admin.token`,
        { details: { property: "admin.token" } },
      );
    }
    this.#host = host;
    this.#requestedPort = port;
    this.#token = init.token;
    this.#source = components.source;
    this.#recorder = components.recorder;
    this.#logger = components.logger ?? noopLogger;
    this.#clock = components.clock ?? systemClock;
    this.#registry = createMeshRegistry(this.#source, this.#recorder);
    this.#sampler = new RateSampler(this.#recorder);
    this.#feed = new LiveFeed(() => this.#cluster(), this.#logger);
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendError(response, statusOf(error), codeOf(error), messageOf(error));
        else response.destroy();
      });
    });
  }

  /** The bound port (after {@link start}). */
  get port(): number {
    return (this.#server.address() as AddressInfo | null)?.port ?? this.#requestedPort;
  }

  get host(): string {
    return this.#host;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#requestedPort, this.#host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    this.#unsubscribe = this.#source.subscribe((event) => this.#feed.event(event));
    this.#tick();
    this.#logger.info("admin endpoint listening", {
      node: this.#source.name,
      url: `http://${this.#host.includes(":") ? `[${this.#host}]` : this.#host}:${this.port}/`,
      auth: this.#token === undefined ? "none (loopback only)" : "bearer token required",
    });
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#feed.close();
    this.#server.closeAllConnections();
    this.#agent.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Once a second: the call rate, and the live feed for any open dashboard. */
  #tick(): void {
    this.#sampler.sample(this.#clock.now());
    if (this.#feed.size > 0) void this.#feed.refresh();
    this.#timer = this.#clock.setTimeout(() => this.#tick(), FEED_INTERVAL_MS);
  }

  #cluster() {
    return clusterView(
      this.#source,
      localReport(this.#source, this.#recorder, this.#sampler),
      (address, path) => this.#fetchPeer(address, path),
      Date.now(),
    );
  }

  /** A GET on a peer's admin endpoint over a kept-alive connection; undefined on any failure. */
  #fetchPeer(address: string, path: string): Promise<unknown> {
    return new Promise((resolve) => {
      const colon = address.lastIndexOf(":");
      const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
      const req = httpRequest(
        {
          host,
          port: Number(address.slice(colon + 1)),
          path,
          agent: this.#agent,
          timeout: PEER_TIMEOUT_MS,
          headers: this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_PEER_REPLY_BYTES) chunks.push(chunk);
            else req.destroy();
          });
          response.on("end", () => {
            if (response.statusCode !== 200) return resolve(undefined);
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            } catch {
              resolve(undefined);
            }
          });
          response.on("error", () => resolve(undefined));
        },
      );
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(undefined));
      req.end();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://admin.invalid");
    const route = `${request.method ?? "GET"} ${url.pathname}`;
    // Probes carry no secret and reveal only up/ready, so kubelets need no token.
    if (route === "GET /healthz") {
      const { reason } = this.#source.readiness();
      sendJson(response, reason === "stopped" ? 503 : 200, { status: reason === "stopped" ? "stopped" : "ok" });
      return;
    }
    if (route === "GET /readyz") {
      const readiness = this.#source.readiness();
      sendJson(response, readiness.ready ? 200 : 503, readiness);
      return;
    }
    if (!authorized(request, url, this.#token)) {
      response.setHeader("www-authenticate", 'Bearer realm="mesh-admin"');
      sendError(response, 401, "MESH_ERR_UNAUTHORIZED", "this admin endpoint requires a valid bearer token");
      return;
    }
    switch (route) {
      case "GET /metrics": {
        const text = await this.#registry.metrics();
        response.writeHead(200, { "content-type": this.#registry.contentType });
        response.end(text);
        return;
      }
      case "GET /api/local":
        sendJson(response, 200, localReport(this.#source, this.#recorder, this.#sampler));
        return;
      case "GET /api/cluster":
        sendJson(response, 200, await this.#cluster());
        return;
      case "GET /api/explain": {
        const { capability, id } = queryOf(url);
        sendJson(response, 200, await explainView(this.#source, capability, id, (a, p) => this.#fetchPeer(a, p)));
        return;
      }
      case "GET /api/active": {
        const { capability, id } = queryOf(url);
        sendJson(response, 200, { node: this.#source.name, modules: this.#source.explain(capability, id).activeHere });
        return;
      }
      case "GET /api/events":
        this.#feed.open(response);
        return;
      case "POST /api/call": {
        const body = (await readJsonBody(request)) as Record<string, unknown> | null;
        if (typeof body !== "object" || body === null) throw invalidArgument("body", "a JSON object", body);
        const { capability, module, id, payload } = body;
        for (const [property, value] of Object.entries({ capability, module, id })) {
          if (typeof value !== "string" || value === "") throw invalidArgument(property, "a non-empty string", value);
        }
        const result = await this.#source.call({
          capability: capability as string,
          module: module as string,
          id: id as string,
          payload,
        });
        sendJson(response, 200, result);
        return;
      }
      case "GET /":
      case "GET /index.html":
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        response.end(DASHBOARD_HTML);
        return;
      default:
        sendError(response, 404, "NOT_FOUND", `no route ${route}`);
    }
  }
}

function queryOf(url: URL): { capability: string; id: string } {
  const capability = url.searchParams.get("capability") ?? "";
  const id = url.searchParams.get("id") ?? "";
  if (capability === "") throw invalidArgument("capability", "a non-empty query parameter", capability);
  if (id === "") throw invalidArgument("id", "a non-empty query parameter", id);
  return { capability, id };
}

function codeOf(error: unknown): string {
  return error instanceof MeshError ? error.code : "UNKNOWN";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
