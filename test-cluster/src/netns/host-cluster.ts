/**
 * A Mesh cluster on a host lab: one node process per host, started inside the host's
 * namespace (`ip netns exec <ns> node cluster-node.js`, with the same IPC channel as
 * the loopback cluster), bound to the host's address and finding the others by
 * multicast across the bridge with a random port and secret per run. The node
 * program, its IPC protocol and the convergence check are the cluster script's
 * (scripts/dist/cluster-*.js).
 *
 * Fault injectors on top of the lab's: kill -9, SIGSTOP/SIGCONT, graceful stop and a
 * restart under the same name on the same host.
 */
import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
import { loopbackSpec, waitConverged } from "../../../scripts/dist/cluster-harness.js";
import { ClusterProcess } from "../../../scripts/dist/cluster-process.js";
import type { ChildNodeSpec } from "../../../scripts/dist/cluster-protocol.js";
import { clusterCapabilities } from "../../../scripts/dist/cluster-report.js";
import { TEST_GOSSIP } from "../support/loopback.js";
import { HostLab } from "./lab.js";

export interface HostClusterInit {
  /** One node per plan, each on a host of the plan's name. */
  readonly nodes: readonly NodePlan[];
  /** Hosts without a node at the start (a node that joins later, an intruder). @default [] */
  readonly spareHosts?: readonly string[];
  /** Capabilities whose actor modules every node registers. @default those of `nodes` */
  readonly clusterCapabilities?: readonly string[];
  /** SWIM options of every node. @default TEST_GOSSIP (Local preset, T = 200 ms) */
  readonly gossip?: Readonly<Record<string, unknown>>;
  readonly callTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  /** Time the nodes get to see each other, in ms. @default 20000 */
  readonly convergeTimeoutMs?: number;
}

/** The multicast group of every lab cluster (each lab is its own broadcast domain). */
const MULTICAST_ADDR = "230.1.1.251";

export class HostCluster {
  readonly lab: HostLab;
  /** Random per run: the multicast port and the cluster's secret. */
  readonly port: number;
  readonly secret: string;
  readonly gossip: Readonly<Record<string, unknown>>;
  /** The current process of each node (replaced on restart). */
  readonly #procs = new Map<string, ClusterProcess>();
  /** Every process ever started (for the last-resort kill). */
  readonly #all: ClusterProcess[] = [];
  readonly #init: HostClusterInit;
  readonly #capabilities: readonly string[];
  readonly #plans = new Map<string, NodePlan>();

  private constructor(lab: HostLab, init: HostClusterInit) {
    this.lab = lab;
    this.#init = init;
    this.port = randomInt(40_000, 50_000);
    this.secret = randomBytes(16).toString("hex");
    this.gossip = init.gossip ?? TEST_GOSSIP;
    this.#capabilities = init.clusterCapabilities ?? clusterCapabilities(init.nodes);
  }

  /** Creates the lab, starts every node and waits until each sees all the others. */
  static async start(init: HostClusterInit): Promise<HostCluster> {
    const lab = await HostLab.create([...init.nodes.map((n) => n.name), ...(init.spareHosts ?? [])]);
    const cluster = new HostCluster(lab, init);
    try {
      await Promise.all(init.nodes.map((plan) => cluster.startNode(plan)));
      await cluster.converge(init.nodes, init.convergeTimeoutMs ?? 20_000);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** The running process of node `name`. */
  proc(name: string): ClusterProcess {
    const proc = this.#procs.get(name);
    if (proc === undefined) throw new Error(`no node ${name}`);
    return proc;
  }

  /** The processes of every node that runs now. */
  running(): ClusterProcess[] {
    return [...this.#procs.values()].filter((p) => p.running);
  }

  /** The plans of the nodes that run now. */
  plans(): NodePlan[] {
    return this.running().map((p) => this.#plans.get(p.name) as NodePlan);
  }

  /** The child spec of a node on the host of its name, with this cluster's network (or another secret). */
  spec(plan: NodePlan, overrides: { secret?: string } = {}): ChildNodeSpec {
    const { ip } = this.lab.host(plan.name);
    const base = loopbackSpec(plan, {
      nodes: [plan],
      network: {
        port: this.port,
        multicastAddr: MULTICAST_ADDR,
        secret: overrides.secret ?? this.secret,
        gossip: this.gossip,
      },
      ...(this.#init.callTimeoutMs === undefined ? {} : { callTimeoutMs: this.#init.callTimeoutMs }),
      ...(this.#init.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: this.#init.stopTimeoutMs }),
    });
    return {
      ...base,
      clusterCapabilities: this.#capabilities,
      bindHost: ip,
      network: { ...base.network, multicastInterface: ip, host: ip },
    };
  }

  /** Starts a node on the host of its name (a spare host, or its own after a crash or stop). */
  async startNode(plan: NodePlan, overrides: { secret?: string } = {}): Promise<ClusterProcess> {
    const old = this.#procs.get(plan.name);
    if (old?.running === true) throw new Error(`${plan.name} is still running`);
    const proc = await ClusterProcess.start({
      spec: this.spec(plan, overrides),
      launcher: this.lab.launcher(plan.name),
    });
    this.#all.push(proc);
    this.#procs.set(plan.name, proc);
    this.#plans.set(plan.name, plan);
    return proc;
  }

  /**
   * A process that is not one of the cluster's nodes, on host `hostName`: a node with
   * another secret (`plan` and `secret`), or any program speaking the child protocol
   * (`entry`). Killed with the cluster.
   */
  async startStranger(
    plan: NodePlan,
    hostName: string,
    options: { secret?: string; entry?: string } = {},
  ): Promise<ClusterProcess> {
    const { ip } = this.lab.host(hostName);
    const own = this.spec({ ...plan, name: hostName }, options.secret === undefined ? {} : { secret: options.secret });
    const spec: ChildNodeSpec = { ...own, name: plan.name, capabilities: plan.capabilities, bindHost: ip };
    const proc = await ClusterProcess.start({
      spec,
      launcher: this.lab.launcher(hostName),
      ...(options.entry === undefined ? {} : { entry: options.entry }),
    });
    this.#all.push(proc);
    return proc;
  }

  /** A new process under the same name on the same host, after the old one is gone (killed or stopped). */
  async restart(name: string): Promise<ClusterProcess> {
    const plan = this.#plans.get(name);
    if (plan === undefined) throw new Error(`no node ${name}`);
    const old = this.proc(name);
    if (old.running) await old.kill("SIGKILL");
    return this.startNode(plan);
  }

  /** kill -9 by PID; resolves when the process is gone. */
  kill(name: string): Promise<void> {
    return this.proc(name).kill("SIGKILL");
  }

  /** SIGSTOP: the process is frozen, its sockets stay open. */
  pause(name: string): void {
    this.proc(name).signal("SIGSTOP");
  }

  /** SIGCONT after `pause`. */
  resume(name: string): void {
    this.proc(name).signal("SIGCONT");
  }

  /** Waits until every running node (or those given) sees exactly `expected` alive; resolves with the time taken. */
  converge(expected: readonly NodePlan[], timeoutMs: number, procs?: readonly ClusterProcess[]): Promise<number> {
    return waitConverged(procs ?? this.running(), expected, timeoutMs, 100);
  }

  /** The process's resident set size now, in bytes, read from /proc (works while it is busy). */
  rss(name: string): number {
    return rssOf(this.proc(name).pid);
  }

  /** SIGKILLs every process, then removes the lab. Idempotent. */
  async destroy(): Promise<void> {
    for (const p of this.#all) if (p.running) p.signal("SIGCONT");
    await Promise.all(this.#all.map((p) => p.kill("SIGKILL")));
    await this.lab.destroy();
  }
}

/** VmRSS of a process, in bytes (0 when it is gone). */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}
