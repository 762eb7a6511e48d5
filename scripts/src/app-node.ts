/**
 * The example app: one node of the seed's cluster (game, chat and payment actors)
 * as a long-running program, configured by environment variables (see
 * app-config.ts), the way deploy/Containerfile and deploy/kubernetes/ run it.
 *
 * It logs one JSON line per event on stdout ("listening", member changes,
 * "stopping", "stopped"). On SIGTERM it turns /readyz to 503, stops the node (which
 * hands its actors to their new owners) and exits 0; if the stop outlasts
 * stopTimeoutMs plus a margin it exits 1, before the orchestrator's SIGKILL.
 */
import { createNode, isMeshError, type MemberEventName } from "@mesh/node";
import { AppConfigError, DEFAULT_CAPABILITIES, EXIT_MARGIN_MS, readAppConfig } from "./app-config.js";
import { networkInit } from "./app-discovery.js";
import { type AppState, adminServer, apiServer, isReady, listen } from "./app-http.js";
import { actorsFor } from "./cluster-actors.js";

const MEMBER_EVENTS: readonly MemberEventName[] = ["member:joined", "member:dead", "member:left"];

function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

async function main(): Promise<void> {
  let config: ReturnType<typeof readAppConfig>;
  let init: ReturnType<typeof networkInit>;
  try {
    config = readAppConfig();
    init = networkInit(config);
  } catch (error) {
    // A setting the app or a strategy rejects: say which, and exit without a stack.
    if (!(error instanceof AppConfigError || isMeshError(error))) throw error;
    console.error(`app-node: ${(error as Error).message}`);
    process.exit(2);
  }
  const node = await createNode({
    ...init,
    name: config.name,
    capabilities: config.capabilities,
    actors: actorsFor([...DEFAULT_CAPABILITIES, ...config.capabilities]),
    stopTimeoutMs: config.stopTimeoutMs,
  });
  const state: AppState = {
    node,
    capabilities: config.capabilities,
    viewCapabilities: DEFAULT_CAPABILITIES,
    readyMinMembers: config.readyMinMembers,
    stopping: false,
  };
  for (const event of MEMBER_EVENTS) node.on(event, (m) => log(event, { member: m.name, state: m.state }));
  const admin = adminServer(state);
  const api = apiServer(state);
  await listen(admin, config.adminPort);
  await listen(api, config.httpPort);

  const stop = (signal: string): void => {
    if (state.stopping) return;
    state.stopping = true;
    void (async () => {
      log("stopping", { signal });
      const force = setTimeout(() => {
        log("stop timed out", { afterMs: config.stopTimeoutMs + EXIT_MARGIN_MS });
        process.exit(1);
      }, config.stopTimeoutMs + EXIT_MARGIN_MS);
      force.unref();
      const t0 = performance.now();
      await node.stop();
      api.close();
      admin.close();
      log("stopped", { stopMs: Math.round(performance.now() - t0) });
      process.exit(0);
    })();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  log("listening", {
    name: node.name,
    capabilities: config.capabilities,
    discovery: config.discovery,
    advertiseHost: config.advertiseHost,
    ...(config.discovery === "multicast" ? { multicastInterface: config.multicastInterface } : {}),
    gossipPort: config.gossipPort,
    callPort: config.callPort,
    adminPort: config.adminPort,
    httpPort: config.httpPort,
  });
  // One line when the node first becomes ready, so logs show how long joining took.
  const t0 = performance.now();
  const poll = setInterval(() => {
    if (!isReady(state)) return;
    clearInterval(poll);
    log("ready", { afterMs: Math.round(performance.now() - t0), members: node.members().length });
  }, 100);
  poll.unref();
}

await main();
