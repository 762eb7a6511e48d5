import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { waitFor } from "@mesh/testing";
import { createNode, type LogFields, type Logger, type MeshNode } from "../src/index.js";

interface Line {
  readonly level: string;
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger without child(): the node's components get theirs through childLogger. */
function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields: LogFields = {}) =>
      lines.push({ level, message, fields });
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

const nodes: MeshNode[] = [];
after(() => Promise.allSettled(nodes.map((n) => n.stop())));

describe("logs", () => {
  it("say what happens to membership, and which component wrote each line", async () => {
    const a = capture();
    const gossip = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };
    const first = await createNode({
      name: "log-a",
      host: "127.0.0.1",
      multicast: false,
      gossip,
      logger: a.logger,
      admin: { port: 0 },
    });
    nodes.push(first);
    const self = first.members()[0];
    const second = await createNode({
      name: "log-b",
      host: "127.0.0.1",
      multicast: false,
      gossip,
      seeds: [`${self?.address.host}:${self?.address.port}`],
    });
    nodes.push(second);
    // The gossip member logs membership changes once, at their source, through the node's logger.
    const membership = (message: string) =>
      a.lines.find((l) => l.message === message && l.fields.name === "log-b" && l.fields.component === "gossip");
    await waitFor("log-a to log that log-b joined", () => membership("member joined") !== undefined, {
      timeoutMs: 10_000,
    });
    assert.equal(membership("member joined")?.level, "info");
    await waitFor("log-b to see log-a alive too", () =>
      second.members().some((m) => m.name === "log-a" && m.state === "alive"),
    );
    await second.stop();
    await waitFor("log-a to log that log-b left", () => membership("member left") !== undefined, { timeoutMs: 10_000 });
    assert.equal(membership("member left")?.level, "info");
    const of = (message: string) => a.lines.find((l) => l.message === message)?.fields.component;
    assert.equal(of("call server listening"), "calls");
    assert.equal(of("admin endpoint listening"), "admin");
  });
});
