import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";

const root = new URL("../../", import.meta.url);

it("shows in the README exactly the example test that runs", () => {
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const example = readFileSync(new URL("test/readme-example.test.ts", root), "utf8");
  assert.ok(readme.includes(`\`\`\`ts\n${example}\`\`\``), "README.md's first ts block is test/readme-example.test.ts");
});
