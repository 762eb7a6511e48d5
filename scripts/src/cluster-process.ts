/**
 * The parent's handle on one cluster child: it forks `cluster-node.js` with an IPC
 * channel, waits for `ready`, sends commands with request ids and a deadline each,
 * records the membership events the child reports, keeps the tail of its output, and
 * stops it by PID — a graceful `stop` command first, SIGKILL when that times out.
 *
 * Every process started here is remembered until it exits, and SIGKILLed if this
 * process exits first, so neither a failed test nor a crashed script leaves one behind.
 */
import { type ChildProcess, fork, type StdioOptions, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import type {
  ChildMessage,
  ChildNodeSpec,
  Command,
  LoadReport,
  LoadSpec,
  MemberEventMessage,
  Results,
  WireError,
  WireRequest,
} from "./cluster-protocol.js";

/** The compiled child entry, next to this file. */
export const CLUSTER_NODE_ENTRY = fileURLToPath(new URL("./cluster-node.js", import.meta.url));

/** Default deadline of one command, in ms (a callMany of a few hundred calls fits easily). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** Default time a child gets to start its node and report ready, in ms. */
export const DEFAULT_READY_TIMEOUT_MS = 20_000;
/** Default time a graceful stop may take before SIGKILL, in ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** Lines of a child's output kept for diagnostics. */
const OUTPUT_TAIL_LINES = 200;

export interface ClusterProcessInit {
  readonly spec: ChildNodeSpec;
  /** @default the compiled cluster-node.js beside this module */
  readonly entry?: string;
  /** @default DEFAULT_READY_TIMEOUT_MS (20000) */
  readonly readyTimeoutMs?: number;
  /** Called with each line the child prints (stdout and stderr). @default lines are only kept in the tail */
  readonly onOutput?: (line: string) => void;
  /**
   * A command that runs the child inside something, e.g. `["ip", "netns", "exec", "ns1"]`:
   * the child is spawned as `<launcher…> <node> <entry> <spec>` with the same IPC channel.
   * The launcher must exec the child in place (as `ip netns exec` does), so the PID this
   * handle signals is the child's own. @default none: the child is forked directly
   */
  readonly launcher?: readonly string[];
}

/** A reply error from a child, with the code it carried. */
export class ChildCommandError extends Error {
  override readonly name = "ChildCommandError";
  readonly code: string;
  readonly retryable: boolean;
  constructor(node: string, op: string, error: WireError) {
    super(`${node}: ${op} failed: ${error.code}: ${error.message}`);
    this.code = error.code;
    this.retryable = error.retryable;
  }
}

export interface ClusterProcessEvents {
  member: [event: MemberEventMessage];
  exit: [code: number | null, signal: NodeJS.Signals | null];
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) if (child.pid !== undefined) safeKill(child.pid, "SIGKILL");
  });
}

function safeKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout; op: string };

export class ClusterProcess extends EventEmitter<ClusterProcessEvents> {
  readonly name: string;
  readonly spec: ChildNodeSpec;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every membership event the child reported, in arrival order. */
  readonly memberEvents: MemberEventMessage[] = [];
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #tail: string[] = [];
  #nextId = 1;
  #exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(child: ChildProcess, spec: ChildNodeSpec, onOutput: ((line: string) => void) | undefined) {
    super();
    this.#child = child;
    this.spec = spec;
    this.name = spec.name;
    this.pid = child.pid as number;
    for (const stream of [child.stdout, child.stderr]) {
      let partial = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) this.#line(line, onOutput);
      });
    }
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        live.delete(child);
        this.#exitStatus = { code, signal };
        for (const [id, pending] of this.#pending) {
          clearTimeout(pending.timer);
          pending.reject(new Error(`${this.name} exited (${signal ?? code}) before answering ${pending.op}`));
          this.#pending.delete(id);
        }
        this.emit("exit", code, signal);
        resolve({ code, signal });
      });
    });
    child.on("message", (message: ChildMessage) => this.#message(message));
    // An IPC write to a process that just died: the exit handler reports it.
    child.on("error", () => {});
  }

  /** Forks the child and resolves once its node is up; kills it and rejects if it is not up in time. */
  static async start(init: ClusterProcessInit): Promise<ClusterProcess> {
    installExitHook();
    const entry = init.entry ?? CLUSTER_NODE_ENTRY;
    const args = [JSON.stringify(init.spec)];
    const options: { stdio: StdioOptions; serialization: "advanced" } = {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    };
    const launcher = init.launcher ?? [];
    const child =
      launcher.length === 0
        ? fork(entry, args, options)
        : spawn(launcher[0] as string, [...launcher.slice(1), process.execPath, entry, ...args], options);
    if (child.pid === undefined) throw new Error(`${init.spec.name}: fork failed`);
    live.add(child);
    const proc = new ClusterProcess(child, init.spec, init.onOutput);
    const timeoutMs = init.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${proc.name} not ready within ${timeoutMs} ms`)), timeoutMs);
        const settle = (error?: Error): void => {
          clearTimeout(timer);
          child.off("message", onMessage);
          if (error === undefined) resolve();
          else reject(error);
        };
        const onMessage = (m: ChildMessage): void => {
          if (m.type === "ready") settle();
          else if (m.type === "fatal")
            settle(new Error(`${proc.name} failed to start: ${m.error.code}: ${m.error.message}`));
        };
        child.on("message", onMessage);
        void proc.exited.then(({ code, signal }) =>
          settle(new Error(`${proc.name} exited (${signal ?? code}) before ready:\n${proc.output()}`)),
        );
      });
    } catch (error) {
      await proc.kill();
      throw error;
    }
    return proc;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.#exitStatus === undefined;
  }

  /** The last lines the child printed. */
  output(): string {
    return this.#tail.join("\n");
  }

  /** Sends a command and resolves with its result; rejects with ChildCommandError on an error reply. */
  request<C extends Command>(command: C, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<Results[C["op"]]> {
    if (!this.running || !this.#child.connected) {
      return Promise.reject(new Error(`${this.name} is not running (${command.op})`));
    }
    const requestId = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new Error(`${this.name}: no reply to ${command.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(requestId, { resolve: resolve as (v: unknown) => void, reject, timer, op: command.op });
      this.#child.send({ type: "request", requestId, command });
    });
  }

  /** Sends a raw message (tests use it to check that a child survives garbage). */
  sendRaw(message: unknown): void {
    this.#child.send(message as object);
  }

  call(request: WireRequest, timeoutMs?: number): Promise<Results["call"]> {
    return this.request({ op: "call", request }, timeoutMs);
  }

  callMany(requests: readonly WireRequest[], concurrency = 32, timeoutMs?: number): Promise<Results["callMany"]> {
    return this.request({ op: "callMany", requests, concurrency }, timeoutMs);
  }

  loadStart(spec: LoadSpec): Promise<null> {
    return this.request({ op: "loadStart", ...spec });
  }

  loadPeek(loadId: string): Promise<LoadReport> {
    return this.request({ op: "loadPeek", loadId });
  }

  loadStop(loadId: string): Promise<LoadReport> {
    return this.request({ op: "loadStop", loadId });
  }

  /**
   * Graceful stop: the child stops its node (handing actors off, leaving the cluster)
   * and exits. SIGKILL by PID if it has not exited within `timeoutMs`. Idempotent.
   */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<{ graceful: boolean }> {
    if (!this.running) return { graceful: this.#exitStatus?.code === 0 };
    const gone = this.exited.then(() => true);
    void this.request({ op: "stop" }, timeoutMs).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const graceful = await Promise.race([gone, timedOut]);
    clearTimeout(timer);
    if (!graceful) await this.kill();
    return { graceful: graceful && this.#exitStatus?.code === 0 };
  }

  /** Sends `signal` (SIGSTOP, SIGCONT…) to the child's PID and returns at once. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) safeKill(this.pid, signal);
  }

  /** Sends `signal` to the child's PID and, unless it is SIGSTOP, waits for it to exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.running) return;
    safeKill(this.pid, signal);
    if (signal !== "SIGSTOP") await this.exited;
  }

  #line(line: string, onOutput: ((line: string) => void) | undefined): void {
    this.#tail.push(line);
    if (this.#tail.length > OUTPUT_TAIL_LINES) this.#tail.shift();
    onOutput?.(line);
  }

  #message(message: ChildMessage): void {
    if (message.type === "member") {
      this.memberEvents.push(message);
      this.emit("member", message);
      return;
    }
    if (message.type !== "reply" || message.requestId === null) return;
    const pending = this.#pending.get(message.requestId);
    if (pending === undefined) return;
    this.#pending.delete(message.requestId);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new ChildCommandError(this.name, pending.op, message.error));
  }
}
