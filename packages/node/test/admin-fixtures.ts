import assert from "node:assert/strict";
import { waitFor } from "@mesh/testing";
import { createNode, type MeshNode, type NodeInit } from "../src/index.js";

/** A counter that carries its count to its next owner. */
export class Counter {
  count = 0;
  handleCall(payload: unknown): number {
    this.count += typeof payload === "number" ? payload : 1;
    return this.count;
  }
  snapshot(): number {
    return this.count;
  }
  restore(state: unknown): void {
    this.count = Number(state);
  }
}

const FAST = { preset: "local" as const, probeIntervalMs: 100, probeTimeoutMs: 50, gossipIntervalMs: 50 };

/** Nodes on loopback with an admin endpoint each (ephemeral ports), stopped by {@link stopAll}. */
export class AdminCluster {
  readonly nodes: MeshNode[] = [];

  async start(init: NodeInit = {}): Promise<MeshNode> {
    const seeds = this.nodes.length === 0 ? [] : [gossipAddress(this.nodes[0] as MeshNode)];
    const node = await createNode({
      host: "127.0.0.1",
      multicast: false,
      seeds,
      gossip: FAST,
      actors: { Counter },
      capabilities: ["game"],
      admin: { port: 0 },
      ...init,
    });
    this.nodes.push(node);
    return node;
  }

  async converged(nodes: readonly MeshNode[] = this.nodes): Promise<void> {
    const names = nodes.map((n) => n.name).sort();
    await waitFor(
      "every node to see every other alive",
      () =>
        nodes.every(
          (n) =>
            JSON.stringify(
              n
                .members()
                .filter((m) => m.state === "alive")
                .map((m) => m.name)
                .sort(),
            ) === JSON.stringify(names),
        ),
      { timeoutMs: 10_000 },
    );
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
  }
}

export function gossipAddress(node: MeshNode): string {
  const self = node.members().find((m) => m.name === node.name);
  assert.ok(self !== undefined, "a networked node knows itself");
  return `${self.address.host}:${self.address.port}`;
}

/** The `host:port` of a node's admin endpoint, as it advertises it. */
export function adminAddress(node: MeshNode): string {
  const address = node.members().find((m) => m.name === node.name)?.tags.admin;
  assert.ok(address !== undefined, `${node.name} advertises an admin endpoint`);
  return address;
}

export async function getJson(
  node: MeshNode,
  path: string,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field by the tests
): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://${adminAddress(node)}${path}`, { headers });
  return { status: response.status, body: await response.json() };
}
