import { type ActorClass, createNode, MeshError, type MeshNode, type MeshNodeEvents, type NodeInit } from "@mesh/node";
import { FakeClock, type SimAddress, SimCallNetwork, SimNetwork, type SimNode, testSeed } from "@mesh/testing";
import { TestNode } from "./test-node.js";

/** One node of a {@link TestClusterInit}. */
export interface TestNodeInit {
  /** The node's name, unique in the cluster. */
  readonly name: string;
  /** Capabilities it hosts. @default [] */
  readonly capabilities?: readonly string[];
  /** Its placement weight. @default 1 */
  readonly weight?: number;
  /** Actor classes for this node only, beside the cluster's. @default {} */
  readonly actors?: Readonly<Record<string, ActorClass>>;
}

/** Options of {@link createTestCluster}. */
export interface TestClusterInit {
  /** The nodes, started in this order (each joins through the ones before it). */
  readonly nodes: readonly TestNodeInit[];
  /** Actor classes every node can host, by module name. @default {} */
  readonly actors?: Readonly<Record<string, ActorClass>>;
  /** The simulation's seed: the same seed replays the same run. @default MESH_SEED, else a fresh one */
  readonly seed?: number;
  /** Deadline of a call that gives none, in simulated ms. @default 2000 */
  readonly callTimeoutMs?: number;
  /** How long a new owner waits for a live previous owner's handoff, in simulated ms. @default 1000 */
  readonly handoffTimeoutMs?: number;
  /** Gossip timings (SWIM). @default probes every 100 ms, gossip every 50 ms */
  readonly gossip?: NodeInit["gossip"];
  /** One-way network delay, in simulated ms. @default 1 */
  readonly delayMs?: number;
  /** How long `start`, `stop` and every `call` may take before it fails, in simulated ms. @default 60000 */
  readonly settleTimeoutMs?: number;
  /** Lines the event trace keeps (the newest). @default 10000 */
  readonly traceLimit?: number;
}

/** Options of {@link TestCluster.waitUntil}. */
export interface WaitUntilOptions {
  /** Simulated time to wait at most, in ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Simulated time between two checks, in ms. @default 10 */
  readonly stepMs?: number;
  /** What is awaited, for the error message. @default "the condition" */
  readonly message?: string;
}

/** Options of {@link TestCluster.loss}. */
export interface LossOptions {
  /** Only the links from and to this node. @default every link */
  readonly node?: string;
}

const FAST_GOSSIP = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };
const TRACED_MEMBER_EVENTS = ["member:joined", "member:suspect", "member:alive", "member:dead", "member:left"] as const;

interface Slot {
  readonly init: TestNodeInit;
  readonly address: SimAddress;
  sim: SimNode;
  node: TestNode | undefined;
}

interface Watched {
  readonly deadline: number;
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly maxMs: number;
}

/**
 * Starts every node of `init.nodes` — real Mesh nodes (`createNode`, the real
 * gossip and routing) — in this process, on one seeded simulated network and
 * fake clock, and resolves once they all see each other alive.
 */
export async function createTestCluster(init: TestClusterInit): Promise<TestCluster> {
  const cluster = new TestCluster(init);
  try {
    await cluster.start();
  } catch (error) {
    throw withSeed(error, cluster.seed);
  }
  return cluster;
}

/**
 * A simulated cluster. Simulated time moves only inside the cluster's methods
 * (`advance`, `waitUntil`, a node's `call`), so a run is a function of its seed.
 */
export class TestCluster {
  readonly seed: number;
  readonly #init: TestClusterInit;
  readonly #net: SimNetwork;
  readonly #calls: SimCallNetwork;
  readonly #slots = new Map<string, Slot>();
  readonly #trace: string[] = [];
  readonly #watched = new Set<Watched>();
  #driving = false;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  /** @internal use {@link createTestCluster} */
  constructor(init: TestClusterInit) {
    if (!Array.isArray(init?.nodes) || init.nodes.length === 0) {
      throw new MeshError("MESH_ERR_INVALID_ARGUMENT", "nodes: expected a non-empty array of { name, capabilities }");
    }
    this.#init = init;
    this.seed = (init.seed ?? testSeed()) >>> 0;
    this.#net = new SimNetwork({ seed: this.seed, clock: new FakeClock(), delayMs: init.delayMs ?? 1 });
    this.#calls = new SimCallNetwork(this.#net, { delayMs: init.delayMs ?? 1 });
    for (const node of init.nodes) {
      if (typeof node?.name !== "string" || node.name === "" || this.#slots.has(node.name)) {
        throw new MeshError(
          "MESH_ERR_INVALID_ARGUMENT",
          `nodes: names must be unique non-empty strings (${node?.name})`,
        );
      }
      const sim = this.#net.addNode();
      this.#slots.set(node.name, { init: node, address: sim.address, sim, node: undefined });
    }
  }

  /** @internal starts the nodes in order and waits for one converged cluster */
  async start(): Promise<void> {
    for (const name of this.#slots.keys()) await this.#boot(name);
    await this.waitUntil(() => this.converged(), { message: "every node to see every other alive" });
    await this.advance(100); // the routing tables rebuild on the last membership events
  }

  /** Simulated time now, in ms. */
  now(): number {
    return this.#net.clock.now();
  }

  /** The running node called `name`. */
  node(name: string): TestNode {
    const node = this.#slot(name).node;
    if (node === undefined) throw new MeshError("MESH_ERR_NODE_STOPPED", `node ${name} is not running (killed)`);
    return node;
  }

  /** Names of the nodes running now, in start order. */
  running(): readonly string[] {
    return [...this.#slots.values()].filter((s) => s.node !== undefined).map((s) => s.init.name);
  }

  /**
   * Whether every running node sees exactly the running nodes alive, and no one
   * suspect (a suspect still owns its shards, so calls would still go to it).
   */
  converged(): boolean {
    const names = JSON.stringify([...this.running()].sort());
    return this.running().every((n) => {
      const node = this.node(n);
      return JSON.stringify(node.alive()) === names && !node.members().some((m) => m.state === "suspect");
    });
  }

  /** Cuts the network in groups of node names: no packet, call or reply crosses between two groups. */
  partition(...groups: readonly (readonly string[])[]): void {
    this.#net.partition(groups.map((group) => group.map((name) => this.#slot(name).address)));
    this.#note(`partition ${groups.map((g) => `[${g.join(",")}]`).join(" ")}`);
  }

  /** Ends every partition. */
  heal(): void {
    this.#net.heal();
    this.#note("heal");
  }

  /**
   * Loses `rate` (0..1) of the packets on every link, or on the links from and to
   * one node; calls and replies ride a reliable stream that loss slows down.
   */
  loss(rate: number, options: LossOptions = {}): void {
    if (!(typeof rate === "number" && rate >= 0 && rate <= 1)) {
      throw new MeshError("MESH_ERR_INVALID_ARGUMENT", `loss: expected a rate in [0, 1], got ${String(rate)}`);
    }
    if (options.node === undefined) this.#net.setDefaultLink({ loss: rate });
    else {
      const one = this.#slot(options.node).address;
      for (const other of this.#slots.values()) {
        if (other.address === one) continue;
        this.#net.setLink(one, other.address, { loss: rate });
        this.#net.setLink(other.address, one, { loss: rate });
      }
    }
    this.#note(`loss ${rate}${options.node === undefined ? "" : ` ${options.node}`}`);
  }

  /** The node's process dies at once: no goodbye, its calls in flight fail, others detect it by SWIM. */
  kill(name: string): void {
    const slot = this.#slot(name);
    if (slot.node === undefined) return;
    this.#calls.crash(slot.sim);
    slot.node = undefined;
    this.#note(`kill ${name}`);
  }

  /** Starts a fresh process under the same name and address (killing the old one first if it runs). */
  async restart(name: string): Promise<TestNode> {
    const slot = this.#slot(name);
    if (slot.node !== undefined) this.kill(name);
    this.#net.removeNode(slot.address);
    slot.sim = this.#net.addNode(slot.address);
    this.#note(`restart ${name}`);
    return this.#boot(name);
  }

  /** Moves simulated time forward by `ms`, running every timer, packet and call due on the way. */
  advance(ms: number): Promise<void> {
    return this.#exclusive(() => this.#net.run(ms));
  }

  /** Runs simulated time until `predicate()` holds; fails with MESH_ERR_TIMEOUT (naming the seed) after `timeoutMs`. */
  async waitUntil(predicate: () => boolean, options: WaitUntilOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const stepMs = options.stepMs ?? 10;
    const end = this.now() + timeoutMs;
    while (!predicate()) {
      if (this.now() >= end) {
        throw new MeshError(
          "MESH_ERR_TIMEOUT",
          `waited ${timeoutMs} simulated ms for ${options.message ?? "the condition"} (seed ${this.seed}; replay with MESH_SEED=${this.seed})`,
          { details: { seed: this.seed, timeoutMs } },
        );
      }
      await this.advance(Math.min(stepMs, end - this.now()));
    }
  }

  /** Runs simulated time until `promise` settles (at most `settleTimeoutMs`), and returns its outcome. */
  settle<T>(promise: Promise<T>): Promise<T> {
    const maxMs = this.#init.settleTimeoutMs ?? 60_000;
    return new Promise<T>((resolve, reject) => {
      const watched: Watched = {
        deadline: this.now() + maxMs,
        outcome: undefined,
        resolve: resolve as (value: unknown) => void,
        reject,
        maxMs,
      };
      promise.then(
        (value) => {
          watched.outcome = { ok: true, value };
        },
        (error: unknown) => {
          watched.outcome = { ok: false, error };
        },
      );
      this.#watched.add(watched);
      void this.#drive();
    });
  }

  /** What happened, one line each: `<ms> <node> <event> <member>` and the test's own actions. Same seed, same trace. */
  trace(): readonly string[] {
    return [...this.#trace];
  }

  /** Stops every running node gracefully (handing off its actors) and ends the simulation. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const running = [...this.#slots.values()].flatMap((s) => (s.node === undefined ? [] : [s.node]));
    await this.settle(Promise.all(running.map((n) => n.mesh.stop())));
    for (const slot of this.#slots.values()) slot.node = undefined;
  }

  async #boot(name: string): Promise<TestNode> {
    const slot = this.#slot(name);
    const seeds = [...this.#slots.values()]
      .filter((s) => s.node !== undefined)
      .map((s) => `${s.address.host}:${s.address.port}`);
    const init = this.#init;
    const mesh = await this.settle(
      createNode(
        {
          name,
          capabilities: slot.init.capabilities ?? [],
          weight: slot.init.weight ?? 1,
          actors: { ...init.actors, ...slot.init.actors },
          host: slot.address.host,
          multicast: false,
          ...(seeds.length > 0 ? { seeds } : { discovery: [] }),
          gossip: init.gossip ?? FAST_GOSSIP,
          clock: slot.sim.clock,
          callTimeoutMs: init.callTimeoutMs ?? 2_000,
          handoffTimeoutMs: init.handoffTimeoutMs ?? 1_000,
        },
        { transport: slot.sim.transport, callTransport: this.#calls.endpoint(slot.sim), random: slot.sim.random },
      ),
    );
    this.#listen(mesh);
    slot.node = new TestNode(mesh, (p) => this.settle(p));
    this.#note(`start ${name}`);
    return slot.node;
  }

  #listen(mesh: MeshNode): void {
    for (const event of TRACED_MEMBER_EVENTS) {
      const listener: MeshNodeEvents[typeof event] = (member) => this.#note(`${mesh.name} ${event} ${member.name}`);
      mesh.on(event, listener);
    }
    mesh.on("rebalance:completed", (e) =>
      this.#note(`${mesh.name} rebalance ${e.capability} lost=${e.shardsLost} moved=${e.actorsMoved}`),
    );
    mesh.on("actor:activated", (e) => this.#note(`${mesh.name} activated ${e.pid.module}/${e.pid.id}`));
  }

  #note(line: string): void {
    this.#trace.push(`${this.now()} ${line}`);
    const limit = this.#init.traceLimit ?? 10_000;
    if (this.#trace.length > limit) this.#trace.splice(0, this.#trace.length - limit);
  }

  #slot(name: string): Slot {
    const slot = this.#slots.get(name);
    if (slot === undefined) throw new MeshError("MESH_ERR_INVALID_ARGUMENT", `no node named ${name} in the cluster`);
    return slot;
  }

  /** Time moves in one place at a time: advances, waits and settles queue behind each other. */
  #exclusive(step: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(step);
    this.#chain = run.catch(() => {});
    return run;
  }

  /** One driver steps time while anything is being settled; outcomes are delivered between steps. */
  async #drive(): Promise<void> {
    if (this.#driving) return;
    this.#driving = true;
    try {
      while (this.#watched.size > 0) {
        await this.#exclusive(() => this.#net.run(1));
        for (const w of this.#watched) {
          if (w.outcome !== undefined) {
            this.#watched.delete(w);
            if (w.outcome.ok) w.resolve(w.outcome.value);
            else w.reject(w.outcome.error);
          } else if (this.now() >= w.deadline) {
            this.#watched.delete(w);
            w.reject(
              new MeshError(
                "MESH_ERR_TIMEOUT",
                `did not settle within ${w.maxMs} simulated ms (seed ${this.seed}; replay with MESH_SEED=${this.seed})`,
                { details: { seed: this.seed } },
              ),
            );
          }
        }
      }
    } finally {
      this.#driving = false;
    }
  }
}

/** Appends the seed to a failure, so the run can be replayed. */
export function withSeed(error: unknown, seed: number): unknown {
  if (error instanceof Error && !error.message.includes(`MESH_SEED=${seed}`)) {
    error.message = `${error.message} (seed ${seed}; replay with MESH_SEED=${seed})`;
  }
  return error;
}

/**
 * Runs `test` on a fresh cluster and stops it afterwards, whatever happens; a
 * failure's message names the seed (`MESH_SEED=<seed>` replays the run).
 */
export async function withTestCluster<T>(
  init: TestClusterInit,
  test: (cluster: TestCluster) => Promise<T>,
): Promise<T> {
  const cluster = await createTestCluster(init);
  try {
    return await test(cluster);
  } catch (error) {
    throw withSeed(error, cluster.seed);
  } finally {
    await cluster.stop().catch(() => {});
  }
}
