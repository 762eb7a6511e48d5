/**
 * The call transport (CallClient -> CallServer, two processes on 127.0.0.1)
 * against the raw TCP baseline of tcp-baseline.ts measured in the same run,
 * at 1, 16 and 256 calls in flight. The server answers every call at once, so
 * this is the transport's own cost: framing, request ids, validation,
 * deadlines, batching. Goals (for full Mesh routed calls, issue 4; the
 * transport alone must beat them comfortably): >= 0.9x at 1 in flight with
 * p50 <= baseline + 10 µs, >= 0.8x at 16, >= 0.75x at 256.
 *
 * Also measures the choices the transport made: msgpackr maps vs records
 * (tinybench), one concatenated write per batch vs cork/uncork, and, with
 * BENCH_FLUSH_COMPARE=1, both flush modes (microtask vs setImmediate).
 *
 * Run: pnpm exec tsc -b benchmarks && node benchmarks/dist/call-transport.bench.js
 *      (BENCH_SECONDS=4 per point and system; about 10 s per point in all)
 */
import { connect, createServer } from "node:net";
import { CallClient } from "@mesh/node/transport";
import { Packr, Unpackr } from "msgpackr";
import { Bench, hrtimeNow } from "tinybench";
import {
  CONCURRENCIES,
  type FlushMode,
  fmt,
  measureInterleaved,
  PAYLOAD,
  type PointResult,
  pointSeconds,
  type System,
  spawnServer,
  startBaseline,
} from "./tcp-baseline.js";

const GOALS: Readonly<Record<number, { ratio: number; p50SlackUs?: number }>> = {
  1: { ratio: 0.9, p50SlackUs: 10 },
  16: { ratio: 0.8 },
  256: { ratio: 0.75 },
};
const IDS = Array.from({ length: 1000 }, (_, i) => `player_${i}`);

// --- codec: why useRecords: false ---------------------------------------------------------
async function codecBench(): Promise<void> {
  const message = [1, 12345, "GameActor", "player_1", "game", PAYLOAD, undefined, 5000, [], 0];
  const bench = new Bench({ time: 1000, warmupTime: 200, now: hrtimeNow });
  for (const useRecords of [false, true]) {
    const packr = new Packr({ useRecords });
    const unpackr = new Unpackr({ useRecords });
    const bytes = packr.pack(message);
    bench.add(`pack call message, useRecords: ${useRecords} (${bytes.length} B)`, () => {
      packr.pack(message);
    });
    bench.add(`unpack call message, useRecords: ${useRecords}`, () => {
      unpackr.unpack(bytes);
    });
  }
  await bench.run();
  console.log("codec (one call message)");
  for (const task of bench.tasks) {
    // The median, not the mean: on a shared machine the mean carries other processes' pauses.
    const p50Ms = task.result?.latency.p50 ?? Number.NaN;
    console.log(`  ${task.name.padEnd(52)} ${fmt(p50Ms * 1e6).padStart(6)} ns/op (median)`);
  }
}

// --- batched writes: one concatenated write vs cork/uncork --------------------------------
/** CPU ns per 77-byte frame, 64 frames per batch, into a loopback socket (in this process). */
async function writeBatchBench(): Promise<void> {
  const server = createServer((socket) => socket.resume());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const socket = connect({ host: "127.0.0.1", port, noDelay: true });
  await new Promise((resolve) => socket.once("connect", resolve));
  const frames = Array.from({ length: 64 }, () => Buffer.alloc(77, 1));
  const flushed = () => new Promise((resolve) => socket.write(Buffer.alloc(0), resolve));
  const run = async (cork: boolean): Promise<number> => {
    const batches = 3000;
    const before = process.cpuUsage();
    for (let b = 0; b < batches; b++) {
      if (cork) {
        socket.cork();
        for (const frame of frames) socket.write(frame);
        socket.uncork();
      } else {
        socket.write(Buffer.concat(frames));
      }
      if (b % 16 === 15) await flushed();
    }
    await flushed();
    const cpu = process.cpuUsage(before);
    return ((cpu.user + cpu.system) * 1000) / (batches * frames.length);
  };
  const best = { concat: Number.POSITIVE_INFINITY, cork: Number.POSITIVE_INFINITY };
  for (let round = 0; round < 5; round++) {
    best.concat = Math.min(best.concat, await run(false));
    best.cork = Math.min(best.cork, await run(true));
  }
  socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  console.log("batched write of 64 frames of 77 B (CPU per frame, best of 5)");
  console.log(`  one write of Buffer.concat   ${fmt(best.concat).padStart(6)} ns   <- what FrameWriter does`);
  console.log(`  cork, 64 writes, uncork      ${fmt(best.cork).padStart(6)} ns`);
}

// --- cross-process points -----------------------------------------------------------------
async function startTransport(flush: FlushMode): Promise<{ system: System; stop(): Promise<void> }> {
  const server = await spawnServer("./call-transport-server.js", [flush]);
  const client = new CallClient({ flushMode: flush });
  await client.start();
  const address = `127.0.0.1:${server.port}`;
  let next = 0;
  const send = () =>
    client.call(address, {
      module: "GameActor",
      id: IDS[next++ % IDS.length] as string,
      capability: "game",
      payload: PAYLOAD,
      timeoutMs: 5000,
    });
  return {
    system: { send, serverPid: server.pid },
    stop: async () => {
      await client.stop();
      await server.stop();
    },
  };
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 8)).join(" | ");
}

async function main(): Promise<void> {
  await codecBench();
  await writeBatchBench();
  const modes: FlushMode[] = process.env.BENCH_FLUSH_COMPARE === "1" ? ["microtask", "immediate"] : ["microtask"];
  const widths = [9, 10, 7, 7, 11, 10, 7, 7, 11, 5, 22, 4];
  for (const mode of modes) {
    const baseline = await startBaseline(mode);
    const transport = await startTransport(mode);
    try {
      console.log(
        `\ncall transport vs raw TCP baseline: two processes each, loopback, interleaved, ${pointSeconds()} s per point and system, flush: ${mode}`,
      );
      console.log(
        row(
          [
            "in flight",
            "base req/s",
            "p50 µs",
            "p99 µs",
            "CPU µs c,s",
            "mesh req/s",
            "p50 µs",
            "p99 µs",
            "CPU µs c,s",
            "ratio",
            "goal",
            "met",
          ],
          widths,
        ),
      );
      for (const concurrency of CONCURRENCIES) {
        const [base, mesh] = await measureInterleaved([baseline.system, transport.system], concurrency);
        if (base === undefined || mesh === undefined) continue;
        const goal = GOALS[concurrency] ?? { ratio: 0 };
        const ratio = mesh.rps / base.rps;
        const p50Ok = goal.p50SlackUs === undefined || mesh.p50Us <= base.p50Us + goal.p50SlackUs;
        const goalText = `>= ${goal.ratio}x${goal.p50SlackUs === undefined ? "" : `, p50 <= +${goal.p50SlackUs} µs`}`;
        const cpu = (r: PointResult) => `${fmt(r.clientCpuUs, 1)}, ${fmt(r.serverCpuUs, 1)}`;
        console.log(
          row(
            [
              concurrency,
              fmt(base.rps),
              fmt(base.p50Us, 1),
              fmt(base.p99Us, 1),
              cpu(base),
              fmt(mesh.rps),
              fmt(mesh.p50Us, 1),
              fmt(mesh.p99Us, 1),
              cpu(mesh),
              fmt(ratio, 2),
              goalText,
              ratio >= goal.ratio && p50Ok ? "yes" : "NO",
            ],
            widths,
          ),
        );
      }
    } finally {
      await transport.stop();
      await baseline.stop();
    }
  }
  console.log("\nCPU µs c,s: CPU time (user + system) per request in the calling process and in the server process.");
}

await main();
