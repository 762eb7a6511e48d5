import assert from "node:assert/strict";
import { createServer, get, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { noopLogger } from "@mesh/interface";
import { waitFor } from "@mesh/testing";
import type { ClusterView } from "../src/cluster-view.js";
import { LiveFeed, MAX_FEEDS } from "../src/live-feed.js";

const owners = (seed: number) => Array.from({ length: 4096 }, (_, i) => (i + seed) % 2);

function viewOf(rate: number, gameOwners: readonly number[], actors = 3): ClusterView {
  return {
    node: "a",
    at: 1_000 + rate,
    members: [
      {
        name: "a",
        state: "alive",
        incarnation: 0,
        gossip: "127.0.0.1:1",
        call: undefined,
        admin: undefined,
        capabilities: ["game"],
        weight: 1,
      },
      {
        name: "b",
        state: "alive",
        incarnation: 0,
        gossip: "127.0.0.1:2",
        call: undefined,
        admin: undefined,
        capabilities: ["game"],
        weight: 1,
      },
    ],
    nodes: {
      a: { reachable: true, node: "a", calls: 10, callsPerSecond: rate, activeActors: actors, actorsByCapability: {} },
    },
    capabilities: [
      {
        capability: "game",
        nodes: ["a", "b"],
        owners: gameOwners,
        shardsByNode: { a: 2048, b: 2048 },
        actorsByNode: { a: actors, b: 0 },
      },
    ],
  };
}

interface Frame {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** An SSE client on loopback: collects frames, `next()` waits for the next one. */
class Page {
  readonly frames: Frame[] = [];
  #read = 0;
  status = 0;
  constructor(
    port: number,
    readonly responses: IncomingMessage[],
  ) {
    get({ host: "127.0.0.1", port, path: "/api/events" }, (response) => {
      this.status = response.statusCode ?? 0;
      responses.push(response);
      let buffer = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const lines = buffer.slice(0, end).split("\n");
          buffer = buffer.slice(end + 2);
          const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "";
          const data = JSON.parse(lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "null") as Frame["data"];
          this.frames.push({ event, data });
          end = buffer.indexOf("\n\n");
        }
      });
    }).on("error", () => {});
  }

  async next(what: string): Promise<Frame> {
    await waitFor(what, () => this.frames.length > this.#read, { timeoutMs: 5_000, intervalMs: 5 });
    return this.frames[this.#read++] as Frame;
  }

  get unread(): number {
    return this.frames.length - this.#read;
  }
}

let server: Server | undefined;
const responses: IncomingMessage[] = [];
after(async () => {
  for (const response of responses) response.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe("LiveFeed", () => {
  it("sends a page the whole view once, then only what changed, and nothing when nothing did", async () => {
    let current = viewOf(5, owners(0));
    let builds = 0;
    const feed = new LiveFeed(async () => {
      builds++;
      return current;
    }, noopLogger);
    server = createServer((_request, response) => feed.open(response));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;

    feed.event({ type: "member:joined", at: 1, node: "b", detail: "b joined" });
    const first = new Page(port, responses);
    const replayed = await first.next("the replayed event");
    assert.equal(replayed.event, "event");
    const whole = await first.next("the whole view");
    assert.equal(whole.event, "cluster");
    assert.deepEqual(whole.data, JSON.parse(JSON.stringify(current)), "the whole view, shard map included");

    await feed.refresh(); // nothing changed: nothing is sent
    current = viewOf(7, current.capabilities[0]?.owners as number[]);
    await feed.refresh();
    const rate = await first.next("a delta with the new rate");
    assert.equal(rate.event, "cluster-delta", "the unchanged refresh sent nothing before it");
    assert.deepEqual(Object.keys(rate.data), ["at", "nodes"], "only the part that changed");

    // Same shard map (the same array), other actor counts: the map comes as null.
    current = viewOf(7, current.capabilities[0]?.owners as number[], 9);
    await feed.refresh();
    const actors = await first.next("a delta with the actor counts");
    assert.deepEqual(Object.keys(actors.data), ["at", "nodes", "capabilities"]);
    const [cap] = actors.data.capabilities as { owners: unknown; actorsByNode: unknown }[];
    assert.equal(cap?.owners, null);
    assert.deepEqual(cap?.actorsByNode, { a: 9, b: 0 });

    // A new map goes out whole, once.
    current = viewOf(7, owners(1), 9);
    await feed.refresh();
    const moved = await first.next("a delta with the new shard map");
    assert.deepEqual(Object.keys(moved.data), ["at", "capabilities"]);
    assert.deepEqual((moved.data.capabilities as { owners: unknown }[])[0]?.owners, owners(1));

    // A page opened now gets the whole view; the first page, already up to date, gets nothing.
    const second = new Page(port, responses);
    assert.equal((await second.next("the replayed event")).event, "event");
    const secondWhole = await second.next("the second page's whole view");
    assert.equal(secondWhole.event, "cluster");
    assert.deepEqual((secondWhole.data.capabilities as { owners: unknown }[])[0]?.owners, owners(1));
    current = viewOf(8, current.capabilities[0]?.owners as number[], 9);
    await feed.refresh();
    for (const page of [first, second]) {
      const next = await page.next("both pages get the same delta");
      assert.deepEqual(Object.keys(next.data), ["at", "nodes"]);
    }
    assert.equal(first.unread, 0);

    feed.event({ type: "member:dead", at: 2, node: "b", detail: "b is dead" });
    for (const page of [first, second]) assert.equal((await page.next("the event")).data.detail, "b is dead");
    assert.ok(builds <= 8, `one build per refresh, shared by the pages (${builds})`);

    // Past MAX_FEEDS pages the next one is refused.
    const more = Array.from({ length: MAX_FEEDS - 2 }, () => new Page(port, responses));
    await waitFor("every page open", () => feed.size === MAX_FEEDS, { timeoutMs: 5_000 });
    const refused = new Page(port, responses);
    await waitFor("the refusal", () => refused.status !== 0, { timeoutMs: 5_000 });
    assert.equal(refused.status, 503);
    assert.ok(more.every((p) => p.status === 200));
    feed.close();
  });
});
