import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { skipUnless, waitFor } from "@mesh/testing";
import { type Browser, chromium } from "playwright-core";
import { AdminCluster, adminAddress, gossipAddress } from "./admin-fixtures.js";

const CHROMIUM = "/usr/bin/chromium";
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..", "..");
const cluster = new AdminCluster();
let child: ChildProcess | undefined;
let browser: Browser | undefined;
let loadRunning = false;

after(async () => {
  loadRunning = false;
  await browser?.close();
  if (child?.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
  await cluster.stopAll();
});

/** Starts the third node as its own process and resolves once it has joined. */
function startChild(name: string, seed: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(here, "admin-child-node.js"), JSON.stringify({ name, seeds: [seed] })], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(proc);
    });
    proc.once("exit", (code) => reject(new Error(`child node exited early (${code})`)));
  });
}

describe("the dashboard in Chromium", () => {
  it(
    "shows members and shard maps live, and a killed node turns dead and loses its shards",
    {
      skip: skipUnless(existsSync(CHROMIUM), `${CHROMIUM} is not installed (apt-get install chromium)`),
      timeout: 90_000,
    },
    async () => {
      const a = await cluster.start({ name: "dash-a", capabilities: ["game", "chat"] });
      const b = await cluster.start({ name: "dash-b", capabilities: ["game", "chat"] });
      child = await startChild("dash-c", gossipAddress(a));
      await waitFor("a and b to see dash-c", () =>
        [a, b].every((n) => n.members().some((m) => m.name === "dash-c" && m.state === "alive")),
      );
      await waitFor("the tables to include dash-c", () => a.nodesFor("game").length === 3, { timeoutMs: 10_000 });
      // Calls keep flowing, so the page shows call rates and actors.
      loadRunning = true;
      void (async () => {
        for (let i = 0; loadRunning; i++) {
          await a.call({ capability: "game", module: "Counter", id: `player-${i % 400}` }).catch(() => {});
          await b.call({ capability: "chat", module: "Counter", id: `room-${i % 50}` }).catch(() => {});
          await new Promise((resolve) => setTimeout(resolve, 4));
        }
      })();

      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      await page.goto(`http://${adminAddress(a)}/`);
      const stateOf = (name: string) =>
        page.locator(`#members tr[data-node="${name}"]`).getAttribute("data-state", { timeout: 2_000 });
      await waitFor(
        "three alive members on the page",
        async () => {
          const states = await Promise.all(["dash-a", "dash-b", "dash-c"].map((n) => stateOf(n).catch(() => null)));
          return states.every((s) => s === "alive");
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );

      const mapOf = async (capability: string) => {
        const canvas = page.locator(`.map[data-capability="${capability}"] canvas`);
        const owners = ((await canvas.getAttribute("data-owners")) ?? "").split(",").map(Number);
        const nodes = ((await canvas.getAttribute("data-nodes")) ?? "").split(",");
        return owners.map((i) => nodes[i]);
      };
      const before = await mapOf("game");
      assert.equal(before.length, 4096, "4096 cells");
      assert.deepEqual([...new Set(before)].sort(), ["dash-a", "dash-b", "dash-c"]);
      for (let shard = 0; shard < 4096; shard++)
        assert.equal(before[shard], a.ownerNode(shard, "game"), `shard ${shard}`);
      // The painted pixels follow the owners: a dash-c cell has dash-c's colour.
      const cShard = before.indexOf("dash-c");
      // Runs in the page; a string, as this package compiles without the DOM types.
      const colourAt = (shard: number): Promise<string> =>
        page.evaluate(`(() => {
        const canvas = document.querySelector('.map[data-capability="game"] canvas');
        const pixel = canvas.getContext("2d").getImageData(${shard} % canvas.width, Math.floor(${shard} / canvas.width), 1, 1);
        return Array.from(pixel.data).join(",");
      })()`);
      const cColour = await colourAt(cShard);
      assert.notEqual(cColour, await colourAt(before.indexOf("dash-a")));

      await page.fill("#actor-id", "player-7");
      await page.selectOption("#capability", "game");
      await page.click("#explain-form button");
      const owner = a.ownerNode(a.shardFor("player-7"), "game");
      await page.locator('#explain [data-field="owner"]', { hasText: owner ?? "none" }).waitFor({ timeout: 5_000 });
      assert.equal(
        await page.locator('#explain [data-field="shard"]').textContent(),
        `${a.shardFor("player-7")} of 4096`,
      );

      child.kill("SIGKILL");
      await waitFor(
        "dash-c to turn dead on the page",
        async () => (await stateOf("dash-c").catch(() => null)) === "dead",
        {
          timeoutMs: 20_000,
          intervalMs: 100,
        },
      );
      await waitFor(
        "dash-c's shards to change colour",
        async () => {
          const after = await mapOf("game");
          return !after.includes("dash-c") && after.length === 4096;
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      const after = await mapOf("game");
      for (let shard = 0; shard < 4096; shard++) {
        if (before[shard] !== "dash-c")
          assert.equal(after[shard], before[shard], `only dash-c's shards move (${shard})`);
      }
      assert.notEqual(await colourAt(cShard), cColour, "a cell dash-c owned is repainted");
      await page.locator('#events li[data-type="member:dead"]').first().waitFor({ timeout: 5_000 });
      await page.locator('#events li[data-type="rebalance"]').first().waitFor({ timeout: 5_000 });

      // Explain an actor whose shard moved: the page says when and why, then goes into docs/.
      const moved = Array.from({ length: 400 }, (_, i) => `player-${i}`).find(
        (id) => before[a.shardFor(id)] === "dash-c",
      ) as string;
      await page.fill("#actor-id", moved);
      await page.click("#explain-form button");
      await page
        .locator('#explain [data-field="last-move"]', { hasText: "member:dead dash-c" })
        .waitFor({ timeout: 5_000 });
      const newOwner = a.ownerNode(a.shardFor(moved), "game");
      assert.equal(await page.locator('#explain [data-field="owner"]').textContent(), newOwner);
      await waitFor(
        "dash-a's call rate on the page",
        async () => {
          const rate = await page.locator('#members tr[data-node="dash-a"] td').nth(6).textContent();
          return Number(rate) > 0;
        },
        { timeoutMs: 5_000, intervalMs: 100 },
      );
      // docs/dashboard.png is refreshed on request only, so a test run leaves the tree clean.
      const shot = await page.screenshot({ fullPage: true });
      assert.deepEqual([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
      if (process.env.MESH_UPDATE_SCREENSHOTS === "1") {
        mkdirSync(join(repoRoot, "docs"), { recursive: true });
        writeFileSync(join(repoRoot, "docs", "dashboard.png"), shot);
      }
      loadRunning = false;
    },
  );
});
