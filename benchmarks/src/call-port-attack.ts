/**
 * The call-port memory attack, measured as RSS: 400 connections each announce
 * a 16 MiB frame, send 200 KiB of it and trickle 1 KiB per 100 ms for 15 s,
 * while a real caller keeps calling. The attackers run in a child process, so
 * the RSS measured here is the server's (and its one real caller's) alone.
 * Two runs: with a cluster secret (the attackers cannot say hello) and without
 * (they can, so their frames are buffered up to the server's caps).
 * Run: `pnpm exec tsc -b benchmarks && node --expose-gc benchmarks/dist/call-port-attack.js`.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { CallClient, CallServer, secretFrameCipher } from "@mesh/node/transport";

const MiB = 1024 * 1024;
const CONNECTIONS = 400;
const ANNOUNCED_BYTES = 16 * MiB;
const FIRST_BYTES = 200 * 1024;
const ATTACK_MS = 15_000;
/** `[6, 1]` in msgpack behind its length prefix: the hello anyone can send when there is no secret. */
const PLAIN_HELLO = Buffer.from([0, 0, 0, 3, 0x92, 0x06, 0x01]);

async function attacker(port: number, sayHello: boolean): Promise<void> {
  const first = Buffer.alloc(4 + FIRST_BYTES, 0x41);
  first.writeUInt32BE(ANNOUNCED_BYTES, 0);
  const sockets: Socket[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("error", () => {});
    socket.on("data", () => {});
    socket.once("connect", () => socket.write(sayHello ? Buffer.concat([PLAIN_HELLO, first]) : first));
    sockets.push(socket);
  }
  const trickle = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write(Buffer.alloc(1024, 0x42));
  }, 100);
  await new Promise((resolve) => setTimeout(resolve, ATTACK_MS));
  clearInterval(trickle);
  const open = sockets.filter((s) => !s.destroyed).length;
  process.send?.({ open });
  for (const socket of sockets) socket.destroy();
}

const gc = (globalThis as { gc?: () => void }).gc;
const rssMiB = (): number => {
  gc?.();
  return process.memoryUsage().rss / MiB;
};

async function run(withSecret: boolean): Promise<void> {
  const secret = randomBytes(32);
  const cipher = () => (withSecret ? { cipher: secretFrameCipher(secret) } : {});
  const server = new CallServer({ onCall: async (call) => call.payload, onCast: () => {} }, cipher());
  await server.start();
  const client = new CallClient(cipher());
  await client.start();
  const address = server.address as string;
  const request = (payload: unknown) => ({ module: "Echo", id: "a", capability: "echo", payload });
  for (let i = 0; i < 1000; i++) await client.call(address, request(i));
  const before = rssMiB();

  const child = fork(new URL(import.meta.url).pathname, ["attacker", String(server.port), String(!withSecret)]);
  const childDone = new Promise<{ open: number }>((resolve) => child.once("message", (m) => resolve(m as never)));
  let peakRss = before;
  let ok = 0;
  let failed = 0;
  const end = performance.now() + ATTACK_MS;
  const latencies: number[] = [];
  while (performance.now() < end) {
    const t0 = performance.now();
    try {
      await client.call(address, request("real"));
      ok++;
      latencies.push(performance.now() - t0);
    } catch {
      failed++;
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss / MiB);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { open } = await childDone;
  const stats = server.stats();
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN;
  const dropped = Object.entries(stats.dropped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  console.log(
    `${withSecret ? "with a secret   " : "without a secret"} | RSS growth ${(peakRss - before).toFixed(1)} MiB ` +
      `(before ${before.toFixed(0)} MiB) | peak buffered ${(stats.peakBufferedBytes / MiB).toFixed(1)} MiB | ` +
      `real calls ${ok} ok, ${failed} failed, p99 ${p99.toFixed(2)} ms | attackers open at the end ${open} | ` +
      `accepted ${stats.accepted} | dropped: ${dropped}`,
  );
  await client.stop();
  await server.stop();
}

if (process.argv[2] === "attacker") {
  await attacker(Number(process.argv[3]), process.argv[4] === "true");
} else {
  console.log(
    `${CONNECTIONS} connections announce ${ANNOUNCED_BYTES / MiB} MiB frames and trickle, ${ATTACK_MS / 1000} s`,
  );
  await run(true);
  await run(false);
}
