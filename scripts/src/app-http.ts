/**
 * The example app's two HTTP servers:
 * - admin (port "admin"): GET /healthz (the process serves) and GET /readyz (joined
 *   and tables built: at least readyMinMembers members alive, and every alive
 *   member counted in the shard table of each capability it hosts, this node's
 *   own included; 503 once it is stopping, so a Service stops sending it traffic);
 * - api (port "http"): GET /view (members and the nodes of each capability) and
 *   POST /call with a JSON request `{ capability, id, payload?, module?, timeoutMs? }`,
 *   answered with `{ ok, node, shard, response }` or `{ ok: false, error }`.
 * A bad request gets a 4xx with a JSON error; nothing a client sends crashes the app.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { MeshNode } from "@mesh/node";
import { moduleFor } from "./cluster-actors.js";
import { toWireError } from "./cluster-protocol.js";

/** Largest request body the api accepts, in bytes. */
const MAX_BODY_BYTES = 64 * 1024;

export interface AppState {
  readonly node: MeshNode;
  readonly capabilities: readonly string[];
  /** Capabilities /view reports on besides the node's own. */
  readonly viewCapabilities: readonly string[];
  /** Alive members (this node included) needed before /readyz answers 200. */
  readonly readyMinMembers: number;
  stopping: boolean;
}

/** Joined and tables built: enough members alive, each in the tables of its capabilities. */
export function isReady(state: AppState): boolean {
  if (state.stopping) return false;
  const node = state.node;
  if (!state.capabilities.every((c) => node.nodesFor(c).includes(node.name))) return false;
  const alive = node.members().filter((m) => m.state === "alive");
  if (alive.length < state.readyMinMembers) return false;
  return alive.every((m) => [...m.capabilities].every((c) => node.nodesFor(c).includes(m.name)));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function view(state: AppState): unknown {
  const node = state.node;
  const capabilities = [...new Set([...state.viewCapabilities, ...state.capabilities])].sort();
  return {
    name: node.name,
    ready: isReady(state),
    members: node.members().map((m) => ({
      name: m.name,
      state: m.state,
      address: `${m.address.host}:${m.address.port}`,
      capabilities: [...m.capabilities],
    })),
    nodesFor: Object.fromEntries(capabilities.map((c) => [c, [...node.nodesFor(c)]])),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function call(state: AppState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let request: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readBody(req));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    request = parsed as Record<string, unknown>;
  } catch (error) {
    reply(res, 400, { ok: false, error: { code: "BAD_REQUEST", message: String(error) } });
    return;
  }
  const capability = request.capability;
  const module = typeof capability === "string" ? moduleFor(capability) : undefined;
  try {
    const { pid, response } = await state.node.call({
      module: typeof request.module === "string" ? request.module : (module ?? ""),
      capability: capability as string,
      id: request.id as string,
      payload: request.payload,
      ...(typeof request.timeoutMs === "number" ? { timeoutMs: request.timeoutMs } : {}),
    });
    reply(res, 200, { ok: true, node: pid.node, shard: pid.shard, response });
  } catch (error) {
    const wire = toWireError(error);
    reply(res, wire.code === "MESH_ERR_INVALID_ARGUMENT" ? 400 : 502, { ok: false, error: wire });
  }
}

export function adminServer(state: AppState): Server {
  return createServer((req, res) => {
    if (req.method !== "GET") return reply(res, 405, { error: "GET only" });
    if (req.url === "/healthz") return reply(res, 200, { ok: true });
    if (req.url === "/readyz") {
      const ready = isReady(state);
      return reply(res, ready ? 200 : 503, { ready, stopping: state.stopping });
    }
    reply(res, 404, { error: "not found" });
  });
}

export function apiServer(state: AppState): Server {
  return createServer((req, res) => {
    if (req.method === "GET" && req.url === "/view") return reply(res, 200, view(state));
    if (req.method === "POST" && req.url === "/call") {
      call(state, req, res).catch((error) => reply(res, 500, { ok: false, error: toWireError(error) }));
      return;
    }
    reply(res, 404, { error: "not found" });
  });
}

export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
