import { readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { request } from "node:https";
import { isMeshError, type MeshError } from "@mesh/interface";
import { discoveryFailure } from "./poll-backoff.js";

/**
 * The two calls the Kubernetes strategy makes — list and watch — over node:https.
 * The token and the CA are read from their files at every request, so a rotated
 * service-account token (kubelet rewrites it before it expires) is picked up
 * without a restart. Bodies are bounded: a list page by maxBodyBytes, a watch
 * stream by maxBodyBytes per event line.
 */
export interface KubeHttpConfig {
  readonly strategy: string;
  readonly apiServer: URL;
  readonly tokenFile: string;
  readonly caFile: string;
  readonly maxBodyBytes: number;
}

/** Bytes of an error response kept for the log (a Status object is well under this). */
const ERROR_BODY_BYTES = 4_096;

/** GET path and parse the JSON body. Rejects with a MESH_ERR_DISCOVERY_FAILED. */
export async function kubeGetJson(config: KubeHttpConfig, path: string, signal: AbortSignal): Promise<unknown> {
  const response = await open(config, path, signal);
  const body = await readBody(config, response, config.maxBodyBytes);
  try {
    return JSON.parse(body);
  } catch (error) {
    throw failure(config, "malformed", `GET ${path}: the body is not JSON`, { cause: error });
  }
}

/**
 * GET a watch stream and hand each parsed JSON line to `onEvent`; resolves when
 * the server ends the stream cleanly. A stream cut inside an event, a line that is
 * not JSON or is longer than maxBodyBytes, or an `onEvent` that throws rejects
 * (after the events before it were handled).
 */
export async function kubeWatch(
  config: KubeHttpConfig,
  path: string,
  signal: AbortSignal,
  onEvent: (event: unknown) => void,
  onOpen: () => void = () => {},
): Promise<void> {
  const response = await open(config, path, signal);
  onOpen();
  await new Promise<void>((resolve, reject) => {
    let pending = "";
    let failed = false;
    const fail = (error: MeshError): void => {
      if (failed) return;
      failed = true;
      response.destroy();
      reject(error);
    };
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      if (failed) return;
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0 && !failed) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line.length > 0) {
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch (error) {
            fail(failure(config, "malformed", "a watch event is not JSON", { cause: error }));
            return;
          }
          try {
            onEvent(event);
          } catch (error) {
            fail(isMeshError(error) ? error : failure(config, "malformed", String(error), { cause: error }));
            return;
          }
        }
        newline = pending.indexOf("\n");
      }
      if (pending.length > config.maxBodyBytes) fail(failure(config, "too-large", "a watch event is too large"));
    });
    response.on("end", () => {
      if (pending.trim().length > 0) fail(failure(config, "truncated", "the watch stream ended inside an event"));
      else if (!failed) resolve();
    });
    // A cut inside an event loses it ("truncated"); between events only the link went ("network").
    const cut = (message: string): void => {
      const reason = signal.aborted ? "aborted" : pending.trim().length > 0 ? "truncated" : "network";
      fail(failure(config, reason, `the watch stream was cut (${message})`));
    };
    response.on("aborted", () => cut("aborted"));
    response.on("error", (error) => cut(error.message));
  });
}

async function open(config: KubeHttpConfig, path: string, signal: AbortSignal): Promise<IncomingMessage> {
  let token: string;
  let ca: Buffer;
  try {
    [token, ca] = await Promise.all([readFile(config.tokenFile, "utf8"), readFile(config.caFile)]);
  } catch (error) {
    throw failure(
      config,
      "credentials",
      `cannot read the token or CA file (${(error as NodeJS.ErrnoException).code})`,
      {
        cause: error,
      },
    );
  }
  const url = new URL(path, config.apiServer);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      url,
      { method: "GET", ca, signal, headers: { accept: "application/json", authorization: `Bearer ${token.trim()}` } },
      resolve,
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      const reason = signal.aborted ? "timeout" : "network";
      reject(failure(config, reason, `GET ${url.pathname}: ${error.code ?? error.message}`, { cause: error }));
    });
    req.end();
  });
  if (response.statusCode === 200) return response;
  const status = response.statusCode ?? 0;
  const body = await readBody(config, response, ERROR_BODY_BYTES).catch(() => "");
  const reason = status === 410 ? "gone" : status >= 500 ? "http-5xx" : `http-${status}`;
  throw failure(config, reason, `GET ${url.pathname}: HTTP ${status}`, { details: { status, body } });
}

function readBody(config: KubeHttpConfig, response: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: MeshError | undefined): void => {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve(Buffer.concat(chunks).toString("utf8"));
      else reject(error);
    };
    response.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        settle(failure(config, "too-large", `the response is larger than ${limit} bytes`));
        response.destroy();
        return;
      }
      chunks.push(chunk);
    });
    response.on("end", () => settle(undefined));
    response.on("aborted", () => settle(failure(config, "truncated", "the response was cut")));
    response.on("error", (error) => settle(failure(config, "truncated", `the response was cut (${error.message})`)));
  });
}

function failure(
  config: KubeHttpConfig,
  reason: string,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): MeshError {
  return discoveryFailure(config.strategy, reason, message, {
    ...options,
    details: { apiServer: config.apiServer.origin, ...options.details },
  });
}
