/**
 * The intruder: a process on a lab host that has the cluster's network but not its
 * secret, and does what the test asks (intruder-protocol.ts) — floods, garbage and
 * half-sent frames, fake members, direct calls with the wrong secret. Started by
 * the test inside the host's namespace with an IPC channel, like a cluster child.
 * Everything it sends goes to the lab addresses the test names.
 */
import { randomBytes, randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { createNode, type MeshNode } from "@mesh/node";
import { CallClient, secretFrameCipher } from "@mesh/node/transport";
import type { DirectCallResult, IntruderCommand } from "./intruder-protocol.js";

/** The host's own address: the only one the intruder sends from (its argument is a JSON spec with bindHost). */
const host = String((JSON.parse(process.argv[2] ?? "{}") as { bindHost?: unknown }).bindHost ?? "");
const sockets: { socket: Socket; closedByServer: boolean }[] = [];
const fakes: MeshNode[] = [];
let bytesSent = 0;
let trickle: NodeJS.Timeout | undefined;

function send(message: unknown): void {
  if (process.connected) process.send?.(message);
}

/** Sends in batches, yielding between them so the socket buffer drains. */
async function flood(command: Extract<IntruderCommand, { op: "flood" }>): Promise<{ sent: number; errors: number }> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  if (command.multicast !== undefined) socket.setMulticastInterface(host);
  let sent = 0;
  let errors = 0;
  const one = (to: string, port: number): Promise<void> =>
    new Promise((resolve) => {
      socket.send(randomBytes(randomInt(1, 1400)), port, to, (error) => {
        if (error) errors++;
        else sent++;
        resolve();
      });
    });
  const targets: [string, number, number][] = [[command.host, command.port, command.count]];
  if (command.multicast !== undefined)
    targets.push([command.multicast.group, command.multicast.port, command.multicast.count]);
  for (const [to, port, count] of targets) {
    for (let i = 0; i < count; i += 200) {
      await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => one(to, port)));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  socket.close();
  return { sent, errors };
}

async function garbage(
  command: Extract<IntruderCommand, { op: "garbage" }>,
): Promise<{ opened: number; failed: number }> {
  let opened = 0;
  let failed = 0;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(command.frameBytes);
  const openOne = (port: number): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect({ host: command.host, port, localAddress: host });
      const entry = { socket, closedByServer: false };
      socket.setNoDelay(true);
      socket.once("connect", () => {
        opened++;
        sockets.push(entry);
        // Half of them announce a big frame; the others are plain garbage.
        const body = randomBytes(command.sendBytes);
        const first = sockets.length % 2 === 0 ? Buffer.concat([header, body]) : body;
        bytesSent += first.length;
        socket.write(first);
        resolve();
      });
      socket.on("error", () => {
        entry.closedByServer = true;
      });
      socket.on("close", () => {
        entry.closedByServer = true;
        if (!sockets.includes(entry)) {
          failed++;
          resolve();
        }
      });
    });
  for (const port of command.ports) {
    for (let i = 0; i < command.perPort; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, command.perPort - i) }, () => openOne(port)));
    }
  }
  trickle ??= setInterval(() => {
    for (const { socket, closedByServer } of sockets) {
      if (closedByServer || socket.destroyed) continue;
      bytesSent += 1024;
      socket.write(randomBytes(1024));
    }
  }, 500);
  return { opened, failed };
}

function release(): { closedByServer: number; open: number; bytesSent: number } {
  if (trickle !== undefined) clearInterval(trickle);
  trickle = undefined;
  const closedByServer = sockets.filter((s) => s.closedByServer).length;
  const open = sockets.length - closedByServer;
  for (const { socket } of sockets) socket.destroy();
  sockets.length = 0;
  return { closedByServer, open, bytesSent };
}

async function startFakes(command: Extract<IntruderCommand, { op: "fakes" }>): Promise<number> {
  for (let i = 1; i <= command.count; i++) {
    fakes.push(
      await createNode({
        name: `fake-${i}`,
        capabilities: [command.capability],
        seeds: [...command.seeds],
        multicast: false,
        host,
        advertiseHost: host,
        gossip: { preset: "local", probeIntervalMs: 200 },
      }),
    );
  }
  return fakes.length;
}

async function directCall(command: Extract<IntruderCommand, { op: "directCall" }>): Promise<DirectCallResult> {
  const client = new CallClient({
    defaultTimeoutMs: 2_000,
    ...(command.secret === null ? {} : { cipher: secretFrameCipher(command.secret) }),
  });
  await client.start();
  try {
    const { address, capability, module, id } = command;
    const response = await client.call(address, { module, id, capability, payload: 1 });
    return { ok: true, response };
  } catch (error) {
    return { ok: false, code: String((error as { code?: unknown }).code ?? error) };
  } finally {
    await client.stop();
  }
}

async function run(command: IntruderCommand): Promise<unknown> {
  switch (command.op) {
    case "flood":
      return flood(command);
    case "garbage":
      return garbage(command);
    case "release":
      return release();
    case "fakes":
      return startFakes(command);
    case "directCall":
      return directCall(command);
    case "stop":
      release();
      await Promise.all(fakes.map((f) => f.stop()));
      return null;
  }
}

process.on("disconnect", () => process.exit(0));
process.on("message", (message: { type?: string; requestId?: number; command?: IntruderCommand }) => {
  if (message?.type !== "request" || message.command === undefined) return;
  const { requestId, command } = message;
  run(command).then(
    (result) => {
      send({ type: "reply", requestId, ok: true, result });
      if (command.op === "stop") setImmediate(() => process.exit(0));
    },
    (error: unknown) =>
      send({
        type: "reply",
        requestId,
        ok: false,
        error: { code: "INTRUDER", message: String(error), retryable: false },
      }),
  );
});
send({ type: "ready", name: "intruder", pid: process.pid, at: Date.now() });
