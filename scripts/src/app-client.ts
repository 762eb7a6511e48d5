/**
 * A client of the example app's HTTP API, run inside a container next to the app
 * (`podman exec <container> node dist/app-client.js ...`), so a test on the host
 * drives a cluster on an internal network without any route into it:
 *
 *   app-client.js get <path> [port]     prints the body of GET http://127.0.0.1:<port><path>;
 *                                       exit 0 on a 2xx, 1 otherwise
 *   app-client.js load '<json>'         calls each id of `ids` in turn for `durationMs`
 *                                       (`{ ids, durationMs, capability?, port?, timeoutMs? }`)
 *                                       and prints one JSON summary line
 *
 * The load calls GameActor-style actors with payload 1, one call at a time per id,
 * so each reply's score must be the previous one plus 1: a gap or a reset is state
 * that a handoff lost or doubled.
 */
import { DEFAULT_HTTP_PORT } from "./app-config.js";

interface LoadSpec {
  readonly ids: readonly string[];
  readonly durationMs: number;
  readonly capability: string;
  readonly port: number;
  readonly timeoutMs: number;
}

interface LoadSummary {
  calls: number;
  failures: number;
  failureSamples: unknown[];
  /** Replies whose score was not the previous one plus 1. */
  gaps: { id: string; expected: number; got: unknown }[];
  /** Calls answered, by the node that ran the actor. */
  byNode: Record<string, number>;
  /** The node that owned each id at the first and at the last call. */
  owners: Record<string, { first: string; last: string }>;
}

const MAX_SAMPLES = 20;

function parseLoad(raw: string | undefined): LoadSpec {
  const spec = JSON.parse(raw ?? "") as Partial<LoadSpec>;
  if (!Array.isArray(spec.ids) || spec.ids.length === 0 || spec.ids.some((id) => typeof id !== "string")) {
    throw new Error("load: ids must be a non-empty array of strings");
  }
  if (typeof spec.durationMs !== "number" || !(spec.durationMs > 0)) throw new Error("load: durationMs > 0 required");
  return {
    ids: spec.ids,
    durationMs: spec.durationMs,
    capability: spec.capability ?? "game",
    port: spec.port ?? DEFAULT_HTTP_PORT,
    timeoutMs: spec.timeoutMs ?? 5_000,
  };
}

async function post(port: number, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/call`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function load(spec: LoadSpec): Promise<LoadSummary> {
  const summary: LoadSummary = { calls: 0, failures: 0, failureSamples: [], gaps: [], byNode: {}, owners: {} };
  const until = performance.now() + spec.durationMs;
  const worker = async (id: string): Promise<void> => {
    let last: number | undefined;
    while (performance.now() < until) {
      summary.calls++;
      try {
        const { json } = await post(spec.port, {
          capability: spec.capability,
          id,
          payload: 1,
          timeoutMs: spec.timeoutMs,
        });
        if (json.ok !== true) throw json.error;
        const node = String(json.node);
        summary.byNode[node] = (summary.byNode[node] ?? 0) + 1;
        const owner = summary.owners[id];
        if (owner === undefined) summary.owners[id] = { first: node, last: node };
        else owner.last = node;
        const score = (json.response as { score?: unknown } | null)?.score;
        if (last !== undefined && score !== last + 1) summary.gaps.push({ id, expected: last + 1, got: score });
        last = typeof score === "number" ? score : undefined;
      } catch (error) {
        summary.failures++;
        if (summary.failureSamples.length < MAX_SAMPLES) summary.failureSamples.push({ id, error: String(error) });
        last = undefined;
      }
    }
  };
  await Promise.all(spec.ids.map(worker));
  return summary;
}

async function main(): Promise<void> {
  const [command, arg, portArg] = process.argv.slice(2);
  if (command === "get" && arg !== undefined) {
    const port = portArg === undefined ? DEFAULT_HTTP_PORT : Number(portArg);
    const res = await fetch(`http://127.0.0.1:${port}${arg}`);
    process.stdout.write(`${await res.text()}\n`);
    process.exitCode = res.ok ? 0 : 1;
    return;
  }
  if (command === "load") {
    process.stdout.write(`${JSON.stringify(await load(parseLoad(arg)))}\n`);
    return;
  }
  console.error("usage: app-client.js get <path> [port] | app-client.js load '<json>'");
  process.exitCode = 2;
}

main().catch((error: unknown) => {
  console.error(`app-client: ${String(error)}`);
  process.exitCode = 1;
});
