/**
 * The packages as users get them: `pnpm pack` of each public package, installed
 * with npm into a fresh project that has nothing else, then a two-node example
 * and the `mesh` CLI run from that install. Offline: the third-party packages the
 * tarballs depend on are packed from this workspace's own install, and npm runs
 * with --offline and a loopback-only registry, so nothing leaves the machine.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { hasCommand, skipUnless } from "@mesh/testing";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PUBLIC = ["interface", "ring", "actors", "gossip", "admin", "node", "cli", "testing", "test-kit"];
const work = mkdtempSync(join(tmpdir(), "mesh-tarballs-"));
after(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

/** Directories of every third-party package the public packages need at run time (pnpm's layout). */
function thirdParty(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (fromModules: string, name: string): void => {
    const dir = realpathSync(join(fromModules, name));
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
    const key = `${manifest.name}@${manifest.version}`;
    if (found.has(key)) return;
    found.set(key, dir);
    // In pnpm's store a package's own dependencies are its siblings in the same node_modules.
    const modules = dir.slice(0, dir.length - name.length - 1);
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(modules, dep);
  };
  for (const pkg of PUBLIC) {
    const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8")) as Manifest;
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      if (!dep.startsWith("@mesh/")) visit(join(root, "packages", pkg, "node_modules"), dep);
    }
  }
  return found;
}

const EXAMPLE = `
import { createNode } from "@mesh/node";
class Counter {
  count = 0;
  handleCall(n) { this.count += n; return this.count; }
}
const common = { host: "127.0.0.1", multicast: false, gossip: { preset: "local" }, actors: { Counter }, capabilities: ["game"] };
const a = await createNode({ name: "tar-a", ...common, admin: { port: 0 } });
const self = a.members()[0];
const b = await createNode({ name: "tar-b", ...common, seeds: [self.address.host + ":" + self.address.port] });
const deadline = Date.now() + 10000;
while (a.nodesFor("game").length < 2 || b.nodesFor("game").length < 2) {
  if (Date.now() > deadline) throw new Error("the two nodes did not meet");
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const owners = new Set();
for (let i = 0; i < 50; i++) owners.add((await b.call({ module: "Counter", id: "p" + i, capability: "game", payload: 1 })).pid.node);
console.log(JSON.stringify({ owners: [...owners].sort(), admin: a.members().find((m) => m.name === "tar-a").tags.admin }));
process.stdin.resume();
process.stdin.on("data", async () => { await b.stop(); await a.stop(); process.exit(0); });
`;

describe("the packages from their tarballs", () => {
  it(
    "install into a fresh npm project and run a two-node cluster and the mesh CLI",
    {
      skip: skipUnless(hasCommand("npm"), "npm is not installed"),
      timeout: 240_000,
    },
    async () => {
      const tarballs = join(work, "tarballs");
      const env = {
        ...process.env,
        npm_config_cache: join(work, "npm-cache"),
        // Nothing is fetched: --offline, and a registry on loopback where nothing listens.
        npm_config_registry: "http://127.0.0.1:9/",
        npm_config_update_notifier: "false",
        npm_config_offline: "true",
      };
      for (const pkg of PUBLIC) {
        // prepack builds the package; the tarball holds dist/src, README, LICENSE, CHANGELOG.
        await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: join(root, "packages", pkg), env });
      }
      for (const [key, dir] of thirdParty()) {
        // Packed from a plain copy: pnpm hard-links identical files of a package to one store file, and
        // npm pack never finishes on such a package (seen with @opentelemetry/api 1.9, whose builds repeat files).
        const copy = join(work, "third-party", key.replaceAll("/", "+"));
        cpSync(dir, copy, { recursive: true, dereference: true });
        await run("npm", ["pack", copy, "--ignore-scripts", "--pack-destination", tarballs], { cwd: work, env });
      }
      const app = join(work, "app");
      await run("mkdir", ["-p", app]);
      writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
      const { stdout: list } = await run("ls", [tarballs]);
      const files = list
        .trim()
        .split("\n")
        .map((f) => join(tarballs, f));
      for (const pkg of PUBLIC)
        assert.ok(
          files.some((f) => f.endsWith(`mesh-${pkg}-0.1.0.tgz`)),
          pkg,
        );
      await run(
        "npm",
        ["install", "--offline", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund", ...files],
        {
          cwd: app,
          env,
        },
      );
      for (const pkg of PUBLIC) {
        const manifest = JSON.parse(readFileSync(join(app, "node_modules", "@mesh", pkg, "package.json"), "utf8")) as {
          files: string[];
          engines: { node: string };
          exports: Record<string, { types: string }>;
        };
        assert.equal(manifest.engines.node, ">=20", pkg);
        assert.ok(manifest.exports["."]?.types, `${pkg} exports its types`);
        readFileSync(join(app, "node_modules", "@mesh", pkg, "LICENSE"));
        readFileSync(join(app, "node_modules", "@mesh", pkg, "CHANGELOG.md"));
      }
      writeFileSync(join(app, "example.mjs"), EXAMPLE);
      const { spawn } = await import("node:child_process");
      const example = spawn(process.execPath, ["example.mjs"], { cwd: app, stdio: ["pipe", "pipe", "inherit"] });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          let out = "";
          example.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes("\n")) resolve(out.split("\n")[0] as string);
          });
          example.once("exit", (code) => reject(new Error(`the example exited with ${code}`)));
        });
        const { owners, admin } = JSON.parse(line) as { owners: string[]; admin: string };
        assert.deepEqual(owners, ["tar-a", "tar-b"], "calls went to both nodes");
        const { stdout } = await run(join(app, "node_modules", ".bin", "mesh"), ["members", "--admin", admin], { env });
        assert.match(stdout, /^tar-a\s+127\.0\.0\.1:\d+\s+alive/m);
        assert.match(stdout, /^tar-b\s+127\.0\.0\.1:\d+\s+alive/m);
      } finally {
        const exited = new Promise((resolve) => example.once("exit", resolve));
        if (example.exitCode === null) example.stdin.write("stop\n");
        await exited;
      }
    },
  );
});
