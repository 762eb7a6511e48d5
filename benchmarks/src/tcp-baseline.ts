/**
 * The baseline every cross-node figure is a ratio to (issue 4, "Benchmarks"):
 * raw Node.js TCP request/response between TWO PROCESSES, length-prefixed
 * msgpackr frames `[rid, payload]` carrying the same payload as the Mesh
 * benchmarks, writes batched per tick on both sides, a closed loop of 1, 16
 * and 256 requests in flight on one connection.
 *
 * Measured on this machine when the issue was written: 14,700 req/s at 1 in
 * flight (p50 67 µs), 151,000 at 16, 349,000 at 256.
 *
 * Run alone: node benchmarks/dist/tcp-baseline.js   (BENCH_SECONDS=4 per point)
 * Other benchmarks import `startBaseline` and `measureInterleaved` to measure
 * their own workload against a baseline taken in the same run, interleaved.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr";

/** The request payload of every cross-node benchmark: a small game move. */
export const PAYLOAD = Object.freeze({ op: "move", x: 12, y: 34, player: "player_1", seq: 42 });
export const CONCURRENCIES = [1, 16, 256] as const;
/** The issue's figures for this machine, for orientation only (ratios use the same run's baseline). */
export const ISSUE_BASELINE: Readonly<Record<number, { rps: number; p50Us?: number }>> = {
  1: { rps: 14_700, p50Us: 67 },
  16: { rps: 151_000 },
  256: { rps: 349_000 },
};

export type FlushMode = "microtask" | "immediate";

export interface PointResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** CPU time (user + system) per request of this process (the caller) and of the server process, in µs. */
  readonly clientCpuUs: number;
  readonly serverCpuUs: number;
}

/** A request/response system under test: how to send one request, and its server's PID (for CPU time). */
export interface System {
  readonly send: () => Promise<unknown>;
  readonly serverPid: number;
}

/** Seconds measured per point and system (after a warm-up), from BENCH_SECONDS. */
export function pointSeconds(): number {
  const fromEnv = Number(process.env.BENCH_SECONDS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 4;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Slice {
  requests: number;
  seconds: number;
  clientCpu: number;
  serverCpu: number;
  latencies: number[];
}

/**
 * One slice of a closed loop: `concurrency` workers each send, await the reply
 * and send again, for `ms`; then the loop drains. Latency is send to reply, µs.
 */
async function runSlice(system: System, concurrency: number, ms: number, into: Slice): Promise<void> {
  let running = true;
  const latencies = into.latencies;
  const cpu0 = process.cpuUsage();
  const server0 = processCpuSeconds(system.serverPid);
  const start = performance.now();
  let requests = 0;
  const worker = async (): Promise<void> => {
    while (running) {
      const t0 = performance.now();
      await system.send();
      latencies.push((performance.now() - t0) * 1000);
      requests++;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((resolve) => setTimeout(resolve, ms));
  running = false;
  await Promise.all(workers);
  const cpu = process.cpuUsage(cpu0);
  into.requests += requests;
  into.seconds += (performance.now() - start) / 1000;
  into.clientCpu += (cpu.user + cpu.system) / 1e6;
  into.serverCpu += processCpuSeconds(system.serverPid) - server0;
}

/**
 * Measures several systems at one concurrency, interleaved: after a warm-up of
 * each, they take turns in `slices` slices, so load from other processes on a
 * shared machine falls on all of them alike. Each gets `seconds` in all.
 */
export async function measureInterleaved(
  systems: readonly System[],
  concurrency: number,
  seconds = pointSeconds(),
  slices = Math.max(1, Math.round(seconds * 2)),
): Promise<PointResult[]> {
  const warmup: Slice = { requests: 0, seconds: 0, clientCpu: 0, serverCpu: 0, latencies: [] };
  for (const system of systems) await runSlice(system, concurrency, Math.max(500, (seconds * 1000) / 4), warmup);
  const results: Slice[] = systems.map(() => ({ requests: 0, seconds: 0, clientCpu: 0, serverCpu: 0, latencies: [] }));
  for (let i = 0; i < slices; i++) {
    for (const [s, system] of systems.entries()) {
      await runSlice(system, concurrency, (seconds * 1000) / slices, results[s] as Slice);
    }
  }
  return results.map((r) => {
    const sorted = Float64Array.from(r.latencies).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
    return {
      concurrency,
      requests: r.requests,
      seconds: r.seconds,
      rps: r.requests / r.seconds,
      p50Us: at(0.5),
      p99Us: at(0.99),
      clientCpuUs: (r.clientCpu / r.requests) * 1e6,
      serverCpuUs: (r.serverCpu / r.requests) * 1e6,
    };
  });
}

/** A server child process, started from a compiled file next to this one, stopped by its PID. */
export interface ChildServer {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

export async function spawnServer(file: string, args: readonly string[]): Promise<ChildServer> {
  const script = new URL(file, import.meta.url);
  // BENCH_CHILD_NODE_ARGS passes flags to the child (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script.pathname, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${file}`);
  // Never leave a server behind, whatever happens to this process.
  const killOnExit = () => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  };
  process.once("exit", killOnExit);
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split("\n")[0];
      if (text.includes("\n") && line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code} before listening`)));
  });
  return {
    pid,
    port,
    stop: async () => {
      process.off("exit", killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(pid, "SIGTERM");
      await exited;
    },
  };
}

/**
 * The baseline's client: one connection, request ids in a Map, frames of one
 * tick gathered into one write — what a careful hand-written RPC client does.
 */
export class BaselineClient {
  readonly #socket: Socket;
  readonly #packr = new Packr({ useRecords: false });
  readonly #unpackr = new Unpackr({ useRecords: false });
  readonly #waiting = new Map<number, (value: unknown) => void>();
  readonly #flushOnImmediate: boolean;
  #nextRid = 0;
  #out: Buffer[] = [];
  #outBytes = 0;
  #scheduled = false;
  #held: Buffer | undefined;
  readonly #flush = (): void => {
    this.#scheduled = false;
    const out = this.#out;
    this.#socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, this.#outBytes));
    this.#out = [];
    this.#outBytes = 0;
  };

  private constructor(socket: Socket, flush: FlushMode) {
    this.#socket = socket;
    this.#flushOnImmediate = flush === "immediate";
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
  }

  static async connect(port: number, flush: FlushMode = "microtask"): Promise<BaselineClient> {
    const socket = connect({ host: "127.0.0.1", port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new BaselineClient(socket, flush);
  }

  request(payload: unknown): Promise<unknown> {
    const rid = this.#nextRid;
    this.#nextRid = (rid + 1) >>> 0;
    const frame = this.#packr.pack([rid, payload], RESERVE_START_SPACE | 4);
    frame.writeUInt32BE(frame.length - 4, 0);
    this.#out.push(frame);
    this.#outBytes += frame.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      if (this.#flushOnImmediate) setImmediate(this.#flush);
      else queueMicrotask(this.#flush);
    }
    return new Promise((resolve) => this.#waiting.set(rid, resolve));
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    const buf = this.#held === undefined ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = undefined;
    let offset = 0;
    while (buf.length - offset >= 4) {
      const length = buf.readUInt32BE(offset);
      if (buf.length - offset - 4 < length) break;
      const [rid, value] = this.#unpackr.unpack(buf.subarray(offset + 4, offset + 4 + length)) as [number, unknown];
      offset += 4 + length;
      const resolve = this.#waiting.get(rid);
      this.#waiting.delete(rid);
      resolve?.(value);
    }
    if (offset < buf.length) this.#held = Buffer.from(buf.subarray(offset));
  }
}

/** Starts the baseline server process and connects a client to it. */
export async function startBaseline(
  flush: FlushMode = "microtask",
): Promise<{ server: ChildServer; client: BaselineClient; system: System; stop(): Promise<void> }> {
  const server = await spawnServer("./tcp-baseline-server.js", [flush]);
  const client = await BaselineClient.connect(server.port, flush);
  return {
    server,
    client,
    system: { send: () => client.request(PAYLOAD), serverPid: server.pid },
    stop: async () => {
      client.close();
      await server.stop();
    },
  };
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const baseline = await startBaseline();
  try {
    const seconds = pointSeconds();
    console.log(`TCP baseline: two processes on 127.0.0.1, ${seconds} s per point, payload ${JSON.stringify(PAYLOAD)}`);
    console.log("in flight |      req/s | p50 µs | p99 µs | CPU µs/req client, server | issue's figure");
    for (const concurrency of CONCURRENCIES) {
      const [r] = await measureInterleaved([baseline.system], concurrency, seconds);
      if (r === undefined) continue;
      const issue = ISSUE_BASELINE[concurrency];
      const ref =
        issue === undefined
          ? ""
          : `${fmt(issue.rps)} req/s${issue.p50Us === undefined ? "" : ` (p50 ${issue.p50Us} µs)`}`;
      console.log(
        [
          String(concurrency).padStart(9),
          fmt(r.rps).padStart(10),
          fmt(r.p50Us, 1).padStart(6),
          fmt(r.p99Us, 1).padStart(6),
          `${fmt(r.clientCpuUs, 1)}, ${fmt(r.serverCpuUs, 1)}`.padStart(25),
          ref,
        ].join(" | "),
      );
    }
  } finally {
    await baseline.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
