import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIPv4 } from "node:net";
import { type ErrorCode, MeshError } from "@mesh/interface";

/** Largest request body the endpoint reads (POST /api/call), in bytes. */
export const MAX_BODY_BYTES = 1 << 20;

export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIPv4(host) && host.startsWith("127.");
}

/** True when the request carries `token` as a bearer header (or `?token=`, for the browser's EventSource). */
export function authorized(request: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = request.headers.authorization;
  const given = header?.startsWith("Bearer ") === true ? header.slice(7) : (url.searchParams.get("token") ?? "");
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * JSON with BigInt as a decimal string, so no reply fails on a value an actor
 * returned. The replacer runs only when plain JSON throws: it is called once per
 * value, and the cluster view holds thousands of shard numbers.
 */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = toJson(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}

export function sendError(response: ServerResponse, status: number, code: ErrorCode | string, message: string): void {
  sendJson(response, status, { error: { code, message } });
}

/** The HTTP status for a MeshError raised while answering. */
export function statusOf(error: unknown): number {
  if (!(error instanceof MeshError)) return 500;
  switch (error.code) {
    case "MESH_ERR_INVALID_ARGUMENT":
    case "MESH_ERR_UNKNOWN_MODULE":
    case "MESH_ERR_PAYLOAD_TOO_LARGE":
      return 400;
    case "MESH_ERR_UNAUTHORIZED":
      return 401;
    case "MESH_ERR_TIMEOUT":
      return 504;
    default:
      return 503;
  }
}

/** Reads a JSON body of at most {@link MAX_BODY_BYTES}. */
export function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new MeshError("MESH_ERR_PAYLOAD_TOO_LARGE", `the request body is larger than ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("error", reject);
    request.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new MeshError("MESH_ERR_INVALID_ARGUMENT", "the request body is not JSON"));
      }
    });
  });
}
