/**
 * Steps shared by the cluster script and the real-process tests: start a set of
 * children on loopback, wait until every one sees every other, drive calls from
 * every node, check routing and collect where the actors live, and stop them all.
 */
import { moduleFor } from "./cluster-actors.js";
import type { NodePlan } from "./cluster-args.js";
import { ClusterProcess } from "./cluster-process.js";
import type { ActorsResult, CallOutcome, ChildNodeSpec, ViewResult, WireRequest } from "./cluster-protocol.js";
import { clusterCapabilities, idsFor } from "./cluster-report.js";

/** Network settings of a loopback cluster; multicast and every endpoint stay on 127.0.0.1. */
export interface LoopbackNetwork {
  readonly port: number;
  readonly multicastAddr: string;
  readonly secret: string;
  /** SWIM options for every node (preset and overrides). */
  readonly gossip: Readonly<Record<string, unknown>>;
}

export interface StartInit {
  readonly nodes: readonly NodePlan[];
  readonly network: LoopbackNetwork;
  readonly callTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  readonly onOutput?: (node: string, line: string) => void;
}

/** The child spec of one node of a loopback cluster. */
export function loopbackSpec(plan: NodePlan, init: StartInit): ChildNodeSpec {
  const { network } = init;
  return {
    name: plan.name,
    capabilities: plan.capabilities,
    clusterCapabilities: clusterCapabilities(init.nodes),
    network: {
      port: network.port,
      multicastAddr: network.multicastAddr,
      multicastInterface: "127.0.0.1",
      secret: network.secret,
      host: "127.0.0.1",
      gossip: network.gossip,
    },
    ...(init.callTimeoutMs === undefined ? {} : { callTimeoutMs: init.callTimeoutMs }),
    ...(init.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: init.stopTimeoutMs }),
  };
}

/** Starts one child per plan, all at once; if one fails to start, kills the others and throws. */
export async function startNodes(init: StartInit): Promise<ClusterProcess[]> {
  const started = await Promise.allSettled(
    init.nodes.map((plan) =>
      ClusterProcess.start({
        spec: loopbackSpec(plan, init),
        ...(init.onOutput === undefined ? {} : { onOutput: (line: string) => init.onOutput?.(plan.name, line) }),
      }),
    ),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.kill() : undefined)));
    throw failed.reason;
  }
  return started.map((s) => (s as PromiseFulfilledResult<ClusterProcess>).value);
}

/**
 * Whether `view` (one node's) shows every other expected node alive and routes every
 * capability to exactly the expected nodes that have it. Returns what is missing, or "".
 */
export function viewGap(self: string, view: ViewResult, expected: readonly NodePlan[]): string {
  const gaps: string[] = [];
  for (const plan of expected) {
    if (plan.name === self) continue;
    const member = view.members.find((m) => m.name === plan.name);
    if (member?.state !== "alive") gaps.push(`${plan.name} ${member?.state ?? "unknown"}`);
  }
  for (const capability of Object.keys(view.nodesFor)) {
    const want = expected
      .filter((p) => p.capabilities.includes(capability))
      .map((p) => p.name)
      .sort();
    const got = view.nodesFor[capability] ?? [];
    if (want.join() !== [...got].sort().join()) gaps.push(`${capability} -> [${got.join(", ")}]`);
  }
  return gaps.length === 0 ? "" : `${self} sees ${gaps.join(", ")}`;
}

/**
 * Polls every process until each sees all of `expected` alive with their capabilities.
 * Resolves with the time it took; rejects after `timeoutMs` naming what was missing.
 */
export async function waitConverged(
  procs: readonly ClusterProcess[],
  expected: readonly NodePlan[],
  timeoutMs: number,
  pollMs = 50,
): Promise<number> {
  const t0 = performance.now();
  const capabilities = clusterCapabilities(expected);
  let last = "no answer yet";
  for (;;) {
    const views = await Promise.all(
      procs.map((p) => p.request({ op: "view", capabilities }, 5_000).then((v) => viewGap(p.name, v, expected))),
    );
    last = views.filter((v) => v !== "").join("; ");
    if (last === "") return performance.now() - t0;
    if (performance.now() - t0 >= timeoutMs) {
      throw new Error(`the nodes did not converge within ${timeoutMs} ms: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The requests of the drive for one capability: ids from idsFor, the seed's payloads. */
export function requestsFor(capability: string, ids: number): WireRequest[] {
  const module = moduleFor(capability);
  return idsFor(capability, ids).map((id) => {
    if (capability === "payment") return { module, id, capability, payload: 1, initArg: 1_000 };
    if (capability === "chat") return { module, id, capability, payload: `hello from ${id}` };
    return { module, id, capability, payload: 1 };
  });
}

/**
 * Calls `ids` actors per capability; request i of each capability is made by process
 * i mod n, so every node calls a share of every capability. Returns the outcomes per caller.
 */
export async function driveCalls(
  procs: readonly ClusterProcess[],
  capabilities: readonly string[],
  ids: number,
  concurrency = 32,
): Promise<Map<string, readonly CallOutcome[]>> {
  const shares = new Map<string, WireRequest[]>(procs.map((p) => [p.name, []]));
  for (const capability of capabilities) {
    requestsFor(capability, ids).forEach((request, i) => {
      shares.get((procs[i % procs.length] as ClusterProcess).name)?.push(request);
    });
  }
  const results = await Promise.all(
    procs.map(async (p) => [p.name, await p.callMany(shares.get(p.name) ?? [], concurrency)] as const),
  );
  return new Map(results);
}

/** The actors alive on each process (undefined for one that did not answer). */
export async function collectActors(
  procs: readonly ClusterProcess[],
): Promise<Record<string, ActorsResult | undefined>> {
  const entries = await Promise.all(
    procs.map(async (p) => [p.name, p.running ? await p.request({ op: "actors" }).catch(() => undefined) : undefined]),
  );
  return Object.fromEntries(entries);
}

/**
 * Routing agreement: every process computes the owner of every id; returns the ids
 * on which two processes disagree, and the replies whose pid.node is not that owner.
 */
export async function checkRouting(
  procs: readonly ClusterProcess[],
  capabilities: readonly string[],
  ids: number,
  outcomes: ReadonlyMap<string, readonly CallOutcome[]>,
): Promise<{ disagreements: string[]; wrongReplies: string[]; owners: Map<string, string | null> }> {
  const owners = new Map<string, string | null>();
  const disagreements: string[] = [];
  for (const capability of capabilities) {
    const list = idsFor(capability, ids);
    const views = await Promise.all(procs.map((p) => p.request({ op: "owners", capability, ids: list })));
    for (const id of list) {
      const seen = views.map((v) => v[id]?.owner ?? null);
      owners.set(`${capability}/${id}`, seen[0] ?? null);
      if (new Set(seen).size > 1) disagreements.push(`${capability}/${id}: ${seen.join(" vs ")}`);
    }
  }
  const wrongReplies: string[] = [];
  for (const [caller, list] of outcomes) {
    for (const outcome of list) {
      if (!outcome.ok) continue;
      const capability = capabilities.find((c) => owners.has(`${c}/${outcome.id}`));
      const owner = owners.get(`${capability}/${outcome.id}`);
      if (owner !== outcome.node)
        wrongReplies.push(`${outcome.id} from ${caller}: pid.node ${outcome.node}, owner ${owner}`);
    }
  }
  return { disagreements, wrongReplies, owners };
}

/** Graceful stop of every running process at once (SIGKILL after `timeoutMs`). */
export async function stopAll(procs: readonly ClusterProcess[], timeoutMs?: number): Promise<void> {
  await Promise.all(procs.map((p) => p.stop(timeoutMs)));
}

/** SIGKILL by PID of every process still running: the `after` hook of every test. */
export async function killAll(procs: readonly ClusterProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.kill("SIGKILL")));
}
