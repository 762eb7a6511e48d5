import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { hasCommand, skipUnless, waitFor } from "@mesh/testing";
import { AdminCluster, adminAddress } from "./admin-fixtures.js";

/** A free loopback port: bound by the OS, then released for prometheus to take. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const cluster = new AdminCluster();
let prometheus: ChildProcess | undefined;
let dir: string | undefined;
after(async () => {
  if (prometheus?.pid !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
    prometheus.kill("SIGTERM");
    await exited;
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  await cluster.stopAll();
});

describe("a real Prometheus server", () => {
  it(
    "scrapes every node's /metrics and answers a query on mesh_calls_total",
    {
      skip: skipUnless(hasCommand("prometheus"), "prometheus is not installed (apt-get install prometheus)"),
      timeout: 60_000,
    },
    async () => {
      const nodes = [
        await cluster.start({ name: "prom-a" }),
        await cluster.start({ name: "prom-b" }),
        await cluster.start({ name: "prom-c" }),
      ];
      await cluster.converged();
      const calls = [17, 23, 31];
      for (const [i, node] of nodes.entries()) {
        for (let n = 0; n < (calls[i] as number); n++) {
          await node.call({ capability: "game", module: "Counter", id: `${node.name}-${n}`, payload: 1 });
        }
      }
      dir = mkdtempSync(join(tmpdir(), "mesh-prometheus-"));
      const targets = nodes.map((n) => `"${adminAddress(n)}"`).join(", ");
      writeFileSync(
        join(dir, "prometheus.yml"),
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: mesh\n    static_configs:\n      - targets: [${targets}]\n`,
      );
      const port = await freePort();
      prometheus = spawn(
        "prometheus",
        [
          `--config.file=${join(dir, "prometheus.yml")}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      prometheus.stderr?.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      const query = async (promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
        const body = (await response.json()) as {
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        return body.data.result;
      };
      let result: Awaited<ReturnType<typeof query>> = [];
      await waitFor(
        "prometheus to have scraped mesh_calls_total from all three nodes",
        async () => {
          result = await query('sum by (instance) (mesh_calls_total{outcome="ok"})').catch(() => []);
          return result.length === 3;
        },
        { timeoutMs: 30_000, intervalMs: 250, describe: () => `result ${JSON.stringify(result)}; stderr ${stderr}` },
      );
      const byInstance = new Map(result.map((r) => [r.metric.instance, Number(r.value[1])]));
      for (const [i, node] of nodes.entries()) assert.equal(byInstance.get(adminAddress(node)), calls[i], node.name);
      const up = await query("up");
      assert.deepEqual(
        up.map((r) => r.value[1]),
        ["1", "1", "1"],
      );
      const histogram = await query("sum(mesh_call_duration_seconds_count)");
      assert.equal(Number(histogram[0]?.value[1]), 17 + 23 + 31);
    },
  );
});
