/**
 * One node of a local cluster, as its own OS process. Started by `cluster.ts` (or a
 * test) with `child_process.fork(cluster-node.js, [JSON spec])` and an IPC channel:
 * it creates the node, reports `ready`, forwards membership events with their wall
 * clock time, and answers commands (call, cast, callMany, stats, members, view,
 * owners, actors, loadStart/loadPeek/loadStop, process, stop) by request id. A malformed command gets
 * an error reply; it never crashes the process.
 *
 * It exits when told to stop, on SIGTERM (graceful stop first), or when the parent
 * goes away (IPC disconnect). SIGINT is ignored: Ctrl-C in a terminal reaches the
 * whole process group, and the parent, which owns the children, stops them in order.
 */
import { createNode, DEFAULT_STOP_TIMEOUT_MS, type MemberEventName, type MemberView, type MeshNode } from "@mesh/node";
import { actorsFor } from "./cluster-actors.js";
import { checkCommand, checkSpec } from "./cluster-command-check.js";
import { Load } from "./cluster-load.js";
import type {
  CallOutcome,
  ChildMessage,
  ChildNodeSpec,
  Command,
  MemberEventMessage,
  WireMember,
  WireRequest,
} from "./cluster-protocol.js";
import { badCommand, toWireError } from "./cluster-protocol.js";

/** How long a child waits for its node to stop when the parent is gone, in ms. */
const ORPHAN_STOP_TIMEOUT_MS = 2_000;
/** On SIGTERM: the node's stop timeout, plus this for the leave to be gossiped, in ms. */
const LEAVE_MARGIN_MS = 3_000;

const MEMBER_EVENTS: readonly MemberEventName[] = [
  "member:joined",
  "member:suspect",
  "member:alive",
  "member:dead",
  "member:left",
  "member:updated",
];

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function toWireMember(m: MemberView): WireMember {
  return {
    name: m.name,
    state: m.state,
    incarnation: m.incarnation,
    address: { host: m.address.host, port: m.address.port },
    capabilities: [...m.capabilities],
    tags: { ...m.tags },
  };
}

class ClusterChild {
  readonly #node: MeshNode;
  readonly #loads = new Map<string, Load>();
  /** Active actors by module, kept from the node's actor events. */
  readonly #active = new Map<string, Set<string>>();
  #stopping: Promise<void> | undefined;

  constructor(node: MeshNode) {
    this.#node = node;
    node.on("actor:activated", ({ pid }) => {
      const ids = this.#active.get(pid.module) ?? new Set<string>();
      this.#active.set(pid.module, ids);
      ids.add(pid.id);
    });
    node.on("actor:deactivated", ({ pid }) => this.#active.get(pid.module)?.delete(pid.id));
    for (const event of MEMBER_EVENTS) {
      node.on(event, (member) => {
        const m = toWireMember(member);
        const message: MemberEventMessage = {
          type: "member",
          event,
          observer: node.name,
          member: m.name,
          state: m.state,
          incarnation: m.incarnation,
          at: Date.now(),
        };
        void send(message);
      });
    }
  }

  async handle(requestId: unknown, raw: unknown): Promise<void> {
    const id = typeof requestId === "number" && Number.isInteger(requestId) ? requestId : null;
    const checked = checkCommand(raw);
    if (id === null || !checked.ok) {
      await send({
        type: "reply",
        requestId: id,
        ok: false,
        error: badCommand(id === null ? "requestId must be an integer" : (checked as { message: string }).message),
      });
      return;
    }
    try {
      const result = await this.#run(checked.value);
      await send({ type: "reply", requestId: id, ok: true, result });
    } catch (error) {
      await send({ type: "reply", requestId: id, ok: false, error: toWireError(error) });
    }
    if (checked.value.op === "stop") process.exit(0);
  }

  async #run(command: Command): Promise<unknown> {
    const node = this.#node;
    switch (command.op) {
      case "ping":
        return { name: node.name, pid: process.pid };
      case "call":
        return this.#call(command.request);
      case "cast":
        await node.cast(command.request);
        return null;
      case "callMany":
        return this.#callMany(command.requests, command.concurrency);
      case "stats":
        return node.stats();
      case "members":
        return this.#members();
      case "view":
        return {
          members: this.#members(),
          nodesFor: Object.fromEntries(command.capabilities.map((c) => [c, [...node.nodesFor(c)]])),
        };
      case "owners":
        return Object.fromEntries(
          command.ids.map((id) => {
            const shard = node.shardFor(id);
            return [id, { shard, owner: node.ownerNode(shard, command.capability) ?? null }];
          }),
        );
      case "actors":
        return Object.fromEntries([...this.#active].map(([module, ids]) => [module, [...ids].sort()]));
      case "loadStart": {
        if (this.#loads.has(command.loadId)) throw badCommand(`load ${command.loadId} is already running`);
        this.#loads.set(command.loadId, new Load(command, (r) => this.#call(r)));
        return null;
      }
      case "loadPeek": {
        const load = this.#loads.get(command.loadId);
        if (load === undefined) throw badCommand(`no load ${command.loadId}`);
        return load.report();
      }
      case "loadStop": {
        const load = this.#loads.get(command.loadId);
        if (load === undefined) throw badCommand(`no load ${command.loadId}`);
        this.#loads.delete(command.loadId);
        return load.stop();
      }
      case "process": {
        const memory = process.memoryUsage();
        return { pid: process.pid, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external };
      }
      case "stop":
        await this.stop();
        return null;
    }
  }

  #members(): WireMember[] {
    return this.#node.members().map(toWireMember);
  }

  async #call(request: WireRequest): Promise<CallOutcome> {
    const startedAt = Date.now();
    const t0 = performance.now();
    try {
      const { pid, response } = await this.#node.call(request);
      const shard = pid.shard ?? this.#node.shardFor(request.id);
      return { ok: true, id: request.id, node: pid.node, shard, response, startedAt, latencyMs: ms(t0) };
    } catch (error) {
      return { ok: false, id: request.id, error: toWireError(error), startedAt, latencyMs: ms(t0) };
    }
  }

  async #callMany(requests: readonly WireRequest[], concurrency: number): Promise<CallOutcome[]> {
    const outcomes: CallOutcome[] = new Array(requests.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const i = next++;
        outcomes[i] = await this.#call(requests[i] as WireRequest);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
    return outcomes;
  }

  /** Ends the loads, then stops the node (handing its actors off). Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all([...this.#loads.values()].map((load) => load.stop()));
      this.#loads.clear();
      await this.#node.stop();
    })();
    return this.#stopping;
  }
}

function ms(t0: number): number {
  return Math.round((performance.now() - t0) * 1000) / 1000;
}

function readSpec(): ChildNodeSpec {
  let parsed: unknown;
  try {
    parsed = JSON.parse(process.argv[2] ?? "");
  } catch {
    throw new Error("usage: cluster-node.js '<JSON node spec>' (started by cluster.js with an IPC channel)");
  }
  const checked = checkSpec(parsed);
  if (!checked.ok) throw new Error(checked.message);
  return checked.value;
}

async function main(): Promise<void> {
  if (process.send === undefined) {
    console.error("cluster-node.js must be started with an IPC channel (child_process.fork)");
    process.exit(2);
  }
  process.on("SIGINT", () => {});
  let child: ClusterChild | undefined;
  let spec: ChildNodeSpec | undefined;
  let stopping = false;
  const exitAfterStop = (timeoutMs: number): void => {
    // A second signal while stopping means "now".
    if (stopping) process.exit(143);
    stopping = true;
    const force = setTimeout(() => process.exit(0), timeoutMs);
    force.unref();
    void (child?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on("disconnect", () => exitAfterStop(ORPHAN_STOP_TIMEOUT_MS));
  // A kill is a request to leave: the node drains and hands its actors off, which may take
  // up to its stopTimeoutMs; cutting it short would look like a crash to the others.
  process.on("SIGTERM", () => exitAfterStop((spec?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS) + LEAVE_MARGIN_MS));

  try {
    spec = readSpec();
    // A node uses one address, whatever the network options say: multicast is sent and
    // joined on it and the gossip and call endpoints bind to it — 127.0.0.1 for a local
    // cluster, the namespace's own address on a test host.
    const bindHost = spec.bindHost ?? "127.0.0.1";
    const node = await createNode({
      ...spec.network,
      multicastInterface: bindHost,
      host: bindHost,
      advertiseHost: bindHost,
      name: spec.name,
      capabilities: spec.capabilities,
      actors: actorsFor(spec.clusterCapabilities),
      ...(spec.callTimeoutMs === undefined ? {} : { callTimeoutMs: spec.callTimeoutMs }),
      ...(spec.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: spec.stopTimeoutMs }),
    });
    child = new ClusterChild(node);
  } catch (error) {
    await send({ type: "fatal", error: toWireError(error) });
    process.exit(1);
  }
  const ready = child;
  const readySpec = spec;
  process.on("message", (message: unknown) => {
    const m = message as { type?: unknown; requestId?: unknown; command?: unknown } | null;
    if (m === null || typeof m !== "object" || m.type !== "request") {
      void send({ type: "reply", requestId: null, ok: false, error: badCommand("expected a request message") });
      return;
    }
    void ready.handle(m.requestId, m.command);
  });
  await send({ type: "ready", name: readySpec.name, pid: process.pid, at: Date.now() });
}

await main();
