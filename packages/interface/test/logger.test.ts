import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { childLogger, jsonLogger, type Logger, pinoLogger, safeJsonStringify } from "../src/index.js";

/** Captures what jsonLogger writes to stderr while `run` runs. */
function stderrLines(run: () => void): unknown[] {
  const original = process.stderr.write.bind(process.stderr);
  const lines: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    run();
  } finally {
    process.stderr.write = original;
  }
  return lines
    .join("")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("jsonLogger", () => {
  it("writes BigInt as a decimal string and cycles as [Circular], without throwing", () => {
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    const [line] = stderrLines(() => jsonLogger("info").info("odd fields", { big: 2n ** 70n, cyclic })) as Record<
      string,
      unknown
    >[];
    assert.equal(line?.msg, "odd fields");
    assert.equal(line?.big, "1180591620717411303424");
    assert.deepEqual(line?.cyclic, { name: "a", self: "[Circular]" });
  });

  it("keeps a shared object that is not a cycle, and writes errors with their message", () => {
    const shared = { x: 1 };
    const error = Object.assign(new Error("boom"), { code: "E_BOOM" });
    const [line] = stderrLines(() => jsonLogger("debug").warn("shared", { a: shared, b: shared, error })) as Record<
      string,
      { x?: number; message?: string; code?: string; name?: string }
    >[];
    assert.deepEqual(line?.a, { x: 1 });
    assert.deepEqual(line?.b, { x: 1 }, "the same object twice is not a cycle");
    assert.equal(line?.error?.message, "boom");
    assert.equal(line?.error?.code, "E_BOOM");
  });

  it("drops lines below its level, and child loggers add their fields", () => {
    const lines = stderrLines(() => {
      const logger = jsonLogger("info", { node: "n1" });
      logger.debug("hidden");
      logger.child?.({ component: "gossip" }).info("joined", { peers: 2 });
    }) as Record<string, unknown>[];
    assert.equal(lines.length, 1);
    assert.deepEqual(
      { ...lines[0], time: 0 },
      { level: "info", time: 0, msg: "joined", node: "n1", component: "gossip", peers: 2 },
    );
  });

  it("safeJsonStringify handles nested BigInt in arrays and functions", () => {
    assert.equal(safeJsonStringify([1n, { f: function named() {} }]), '["1",{"f":"[Function named]"}]');
  });
});

describe("pinoLogger", () => {
  it("logs through a real pino logger, message as msg and fields as properties, with child bindings", () => {
    const out: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).trim().split("\n")) out.push(JSON.parse(line));
        done();
      },
    });
    const logger = pinoLogger(pino({ level: "debug" }, sink));
    logger.info("member joined", { member: "n2" });
    childLogger(logger, { component: "admin" }).warn("slow scrape", { ms: 12 });
    logger.debug("big", { n: 5n });
    assert.equal(out.length, 3);
    assert.equal(out[0]?.msg, "member joined");
    assert.equal(out[0]?.member, "n2");
    assert.equal(out[0]?.level, 30);
    assert.equal(out[1]?.component, "admin");
    assert.equal(out[1]?.level, 40);
    assert.equal(out[2]?.n, 5, "pino writes a BigInt as its digits");
  });

  it("childLogger wraps a logger without child()", () => {
    const seen: unknown[] = [];
    const plain: Logger = { debug() {}, info: (m, f) => seen.push([m, f]), warn() {}, error() {} };
    childLogger(childLogger(plain, { a: 1 }), { b: 2 }).info("x", { c: 3 });
    assert.deepEqual(seen, [["x", { a: 1, b: 2, c: 3 }]]);
  });
});
