import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, it, type TestContext } from "node:test";
import { waitFor } from "@mesh/testing";
import { createNode, type MemberView } from "../src/index.js";

const FIXTURE = new URL("./fixtures/signal-node.js", import.meta.url).pathname;

/** Starts the README's signal-wired node in its own process; killed by PID when the test ends. */
async function childNode(t: TestContext, name: string, seed: string, secret: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [FIXTURE, name, seed, secret], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  await waitFor("the child node to start", () => out.includes("ready"), { timeoutMs: 10_000 });
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

describe("shutdown on a signal, as the README wires it", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: the process exits 0 and the cluster sees the node leave, not die`, async (t) => {
      const secret = randomBytes(24).toString("base64");
      const observer = await createNode({
        name: `observer-${signal}`,
        host: "127.0.0.1",
        multicast: false,
        seeds: [],
        secret,
        gossip: { preset: "local", probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 },
      });
      t.after(() => observer.stop());
      const self = observer.members()[0] as MemberView;
      const events: string[] = [];
      for (const event of ["member:left", "member:dead", "member:suspect"] as const) {
        observer.on(event, (member) => {
          if (member.name === "leaver") events.push(event);
        });
      }
      const child = await childNode(t, "leaver", `${self.address.host}:${self.address.port}`, secret);
      await waitFor("the observer to see the child", () =>
        observer.members().some((m) => m.name === "leaver" && m.state === "alive"),
      );
      child.kill(signal);
      assert.equal(await exited(child), 0, "the graceful stop finished and the process exited 0");
      await waitFor("the observer to see it left", () => events.includes("member:left"), { timeoutMs: 5_000 });
      assert.deepEqual(events, ["member:left"], "never suspected or declared dead");
    });
  }
});
