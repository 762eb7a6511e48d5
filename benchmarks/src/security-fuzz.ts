/**
 * @mesh/gossip security: 1,000,000 mutated packets and stream frames through the
 * secure layer (and 50,000 of them through the real UDP receive path on
 * 127.0.0.1): no crash, no unhandled rejection, every input counted, no forgery
 * delivered, heap bounded (issue 3, "Fuzz the decoders with 1,000,000 mutated
 * packets"). Then the per-packet cost of sealing and opening, with tinybench.
 * Run: `pnpm exec tsc -b benchmarks && node benchmarks/dist/security-fuzz.js` (MESH_SEED=n to replay).
 */
import dgram from "node:dgram";
import v8 from "node:v8";
import vm from "node:vm";
import {
  type Address,
  createUdpTransport,
  emptyTransportStats,
  Keyring,
  type PacketHandler,
  type StreamHandler,
  StreamRefusedError,
  secureTransport,
  type Transport,
} from "@mesh/gossip";
import { SeededRandom, testSeed, waitFor } from "@mesh/testing";
import { Bench, hrtimeNow } from "tinybench";

const PACKETS = 700_000;
const REQUESTS = 200_000;
const RESPONSES = 50_000;
const UDP_DATAGRAMS = 50_000;
const HEAP_BOUND_MB = 32;

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const heapMb = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const seed = testSeed();
const random = new SeededRandom(seed);
let unhandled = 0;
process.on("unhandledRejection", () => {
  unhandled++;
});

// --- an in-memory inner transport: the fuzzer feeds the secure layer's handlers directly ---------
class Probe implements Transport {
  readonly localAddress: Address;
  readonly maxPacketSize = 1400;
  peer: Probe | undefined;
  packet: PacketHandler = () => {};
  stream: StreamHandler = (r) => r;
  readonly sent: Uint8Array[] = [];
  readonly requests: Uint8Array[] = [];
  readonly responses: Uint8Array[] = [];
  readonly #stats = emptyTransportStats();
  constructor(port: number) {
    this.localAddress = { host: "127.0.0.1", port };
  }
  sendPacket(_to: Address, packet: Uint8Array): void {
    this.sent.push(new Uint8Array(packet));
    this.peer?.packet(packet, this.localAddress);
  }
  async request(_to: Address, payload: Uint8Array): Promise<Uint8Array> {
    this.requests.push(new Uint8Array(payload));
    const response = await (this.peer as Probe).stream(payload, this.localAddress);
    this.responses.push(new Uint8Array(response));
    return response;
  }
  setHandlers(h: { readonly packet: PacketHandler; readonly stream: StreamHandler }): void {
    this.packet = h.packet;
    this.stream = h.stream;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  stats() {
    return { ...this.#stats, dropped: { ...this.#stats.dropped } };
  }
}

// --- mutations: never an exact copy except for "replay" ---------------------------------------------
const KINDS = ["flip", "truncate", "extend", "splice", "random", "header", "replay"] as const;
function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const word = (random.next() * 2 ** 32) >>> 0;
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return out;
}
function concat(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
function mutate(corpus: readonly Uint8Array[], kind: (typeof KINDS)[number], maxLength: number): Uint8Array {
  const base = random.pick(corpus);
  switch (kind) {
    case "flip": {
      const out = new Uint8Array(base);
      const at = new Set<number>();
      const n = Math.min(random.int(1, 4), out.length);
      while (at.size < n) at.add(random.int(0, out.length - 1));
      for (const i of at) out[i] = (out[i] as number) ^ (1 << random.int(0, 7));
      return out;
    }
    case "truncate":
      return base.slice(0, random.int(0, base.length - 1));
    case "extend":
      return concat(base, bytes(random.int(1, 64)));
    case "splice": {
      const other = random.pick(corpus);
      const cut = random.int(1, Math.min(base.length, other.length) - 1);
      const out = concat(base.subarray(0, cut), other.subarray(cut));
      if (same(out, base) || same(out, other)) out[out.length - 1] = (out[out.length - 1] as number) ^ 0xff;
      return out;
    }
    case "random":
      return bytes(random.int(0, maxLength));
    case "header": {
      const out = new Uint8Array(base);
      const at = random.int(0, Math.min(20, out.length - 1));
      out[at] = (out[at] as number) ^ random.int(1, 255);
      return out;
    }
    case "replay":
      return new Uint8Array(base);
  }
}

const sum = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((a, b) => a + b, 0);
const rows: Record<string, string | number>[] = [];
const failures: string[] = [];
const check = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
};
let peakMb = 0;
const sample = (): void => {
  peakMb = Math.max(peakMb, process.memoryUsage().heapUsed / 2 ** 20);
};

const keyring = Keyring.fromSecret("security fuzz benchmark secret");
const heapStart = heapMb();

// --- 1. packets ---------------------------------------------------------------------------------------
{
  const innerA = new Probe(1);
  const innerB = new Probe(2);
  innerA.peer = innerB;
  innerB.peer = innerA;
  const a = secureTransport(innerA, keyring);
  const b = secureTransport(innerB, keyring);
  let delivered = 0;
  a.setHandlers({ packet: () => {}, stream: (r) => r });
  b.setHandlers({ packet: () => delivered++, stream: (r) => r });
  for (let i = 0; i < 64; i++) a.sendPacket(b.localAddress, new Uint8Array(random.int(0, a.maxPacketSize)));
  const corpus = innerA.sent;
  const t0 = performance.now();
  for (let i = 0; i < PACKETS; i++) {
    innerB.packet(mutate(corpus, KINDS[i % KINDS.length] ?? "flip", 1500), innerA.localAddress);
    if (i % 50_000 === 0) sample();
  }
  const ms = performance.now() - t0;
  const dropped = b.stats().dropped;
  check(delivered === 64, `packets: ${delivered - 64} forgeries delivered`);
  check(sum(dropped) === PACKETS, `packets: ${sum(dropped)} counted of ${PACKETS}`);
  rows.push({
    input: "mutated sealed packets",
    count: PACKETS,
    ms: Math.round(ms),
    "µs each": ((ms * 1000) / PACKETS).toFixed(2),
    dropped: JSON.stringify(dropped),
  });
}

// --- 2. request frames and responses -----------------------------------------------------------------
{
  const innerA = new Probe(1);
  const innerB = new Probe(2);
  innerA.peer = innerB;
  innerB.peer = innerA;
  const a = secureTransport(innerA, keyring);
  const b = secureTransport(innerB, keyring);
  let handled = 0;
  a.setHandlers({ packet: () => {}, stream: (r) => r });
  b.setHandlers({
    packet: () => {},
    stream: (r) => {
      handled++;
      return r;
    },
  });
  for (let i = 0; i < 32; i++)
    await a.request(b.localAddress, new Uint8Array(random.int(0, 2000)), { timeoutMs: 1000 });
  const requests = innerA.requests;
  const responses = innerA.responses;
  const handler = innerB.stream;
  let refused = 0;
  let otherErrors = 0;
  let t0 = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    try {
      await handler(mutate(requests, KINDS[i % KINDS.length] ?? "flip", 4096), innerA.localAddress);
    } catch (error) {
      if (error instanceof StreamRefusedError) refused++;
      else otherErrors++;
    }
    if (i % 50_000 === 0) sample();
  }
  let ms = performance.now() - t0;
  check(handled === 32, `requests: ${handled - 32} forgeries handled`);
  check(refused === REQUESTS && otherErrors === 0, `requests: ${refused} refused, ${otherErrors} other errors`);
  check(sum(b.stats().dropped) === REQUESTS, "requests: counters do not add up");
  rows.push({
    input: "mutated request frames",
    count: REQUESTS,
    ms: Math.round(ms),
    "µs each": ((ms * 1000) / REQUESTS).toFixed(2),
    dropped: JSON.stringify(b.stats().dropped),
  });

  innerB.stream = () => mutate(responses, KINDS[random.int(0, KINDS.length - 1)] ?? "flip", 4096);
  let rejected = 0;
  t0 = performance.now();
  for (let i = 0; i < RESPONSES; i++) {
    try {
      await a.request(b.localAddress, new Uint8Array(8), { timeoutMs: 1000 });
    } catch {
      rejected++;
    }
  }
  ms = performance.now() - t0;
  check(rejected === RESPONSES, `responses: ${RESPONSES - rejected} forged responses accepted`);
  check(sum(a.stats().dropped) === RESPONSES, "responses: counters do not add up");
  rows.push({
    input: "mutated/replayed responses",
    count: RESPONSES,
    ms: Math.round(ms),
    "µs each": ((ms * 1000) / RESPONSES).toFixed(2),
    dropped: JSON.stringify(a.stats().dropped),
  });
}

// --- 3. the real UDP receive path on 127.0.0.1 -------------------------------------------------------
{
  const sender = secureTransport(createUdpTransport({ host: "127.0.0.1", port: 0 }), keyring);
  const target = secureTransport(createUdpTransport({ host: "127.0.0.1", port: 0 }), keyring);
  let delivered = 0;
  sender.setHandlers({ packet: () => {}, stream: (r) => r });
  target.setHandlers({ packet: () => delivered++, stream: (r) => r });
  await Promise.all([sender.start(), target.start()]);
  const raw = dgram.createSocket("udp4");
  const corpus: Uint8Array[] = [];
  raw.on("message", (m) => corpus.push(new Uint8Array(m)));
  await new Promise<void>((resolve) => raw.bind({ address: "127.0.0.1", port: 0 }, resolve));
  for (let i = 0; i < 32; i++)
    sender.sendPacket({ host: "127.0.0.1", port: raw.address().port }, new Uint8Array(random.int(0, 1363)));
  await waitFor("the corpus", () => corpus.length === 32);
  const to = target.localAddress;
  for (const p of corpus) raw.send(p, to.port, to.host);
  await waitFor("the genuine datagrams", () => delivered === 32);
  const t0 = performance.now();
  for (let sent = 0; sent < UDP_DATAGRAMS; ) {
    for (let i = 0; i < 50; i++, sent++) {
      const oversize = sent % 97 === 0;
      raw.send(
        oversize
          ? new Uint8Array(1401 + random.int(0, 2000))
          : mutate(corpus, KINDS[sent % KINDS.length] ?? "flip", 1400),
        to.port,
        to.host,
      );
    }
    await waitFor("the batch", () => target.stats().packetsReceived >= 32 + sent, { timeoutMs: 2000 }).catch(() => {});
    if (sent % 10_000 === 0) sample();
  }
  const ms = performance.now() - t0;
  raw.close();
  const stats = target.stats();
  const arrived = stats.packetsReceived - 32;
  check(delivered === 32, `udp: ${delivered - 32} forgeries delivered`);
  check(stats.packetsReceived === delivered + sum(stats.dropped), "udp: counters do not add up");
  rows.push({
    input: `datagrams over 127.0.0.1 (${arrived} arrived)`,
    count: UDP_DATAGRAMS,
    ms: Math.round(ms),
    "µs each": ((ms * 1000) / UDP_DATAGRAMS).toFixed(2),
    dropped: JSON.stringify(stats.dropped),
  });
  await Promise.all([sender.stop(), target.stop()]);
}

const heapEnd = heapMb();
check(unhandled === 0, `${unhandled} unhandled rejections`);
check(heapEnd - heapStart < HEAP_BOUND_MB, `heap grew ${(heapEnd - heapStart).toFixed(1)} MB`);
const total = PACKETS + REQUESTS + RESPONSES + UDP_DATAGRAMS;
console.log(`\nsecurity fuzz: ${total.toLocaleString("en")} mutated inputs, MESH_SEED=${seed}`);
console.table(rows);
console.table([
  { figure: "inputs", value: total.toLocaleString("en"), target: "1,000,000" },
  { figure: "crashes / unhandled rejections", value: `0 / ${unhandled}`, target: "0 / 0" },
  { figure: "heap at start (MB, after GC)", value: heapStart.toFixed(1), target: "" },
  { figure: "heap peak (MB, sampled)", value: peakMb.toFixed(1), target: "" },
  { figure: "heap at end (MB, after GC)", value: heapEnd.toFixed(1), target: `< start + ${HEAP_BOUND_MB}` },
  { figure: "verdict", value: failures.length === 0 ? "PASS" : `FAIL: ${failures.join("; ")}`, target: "PASS" },
]);

// --- 4. cost per packet ------------------------------------------------------------------------------
{
  const innerA = new Probe(1);
  const innerB = new Probe(2);
  innerA.peer = innerB;
  innerB.peer = innerA;
  const a = secureTransport(innerA, keyring);
  const b = secureTransport(innerB, keyring);
  a.setHandlers({ packet: () => {}, stream: (r) => r });
  b.setHandlers({ packet: () => {}, stream: (r) => r });
  const full = new Uint8Array(a.maxPacketSize);
  const small = new Uint8Array(100);
  a.sendPacket(b.localAddress, full);
  const forged = new Uint8Array(innerA.sent[0] as Uint8Array);
  forged[40] = (forged[40] as number) ^ 1;
  innerA.sent.length = 0;
  const bench = new Bench({ time: 1000, warmupTime: 200, now: hrtimeNow });
  bench.add(`seal + open ${full.length} B`, () => {
    a.sendPacket(b.localAddress, full);
    innerA.sent.length = 0;
  });
  bench.add("seal + open 100 B", () => {
    a.sendPacket(b.localAddress, small);
    innerA.sent.length = 0;
  });
  bench.add("reject a forged 1400 B datagram", () => innerB.packet(forged, innerA.localAddress));
  await bench.run();
  console.table(bench.table());
}
process.exit(failures.length === 0 ? 0 : 1);
