import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ErrorCodes, invalidArgument, isMeshError, MeshError } from "../src/index.js";

const docs = readFileSync(new URL("../../../../docs/errors.md", import.meta.url), "utf8");

describe("MeshError", () => {
  it("carries a code, a cause and retryability", () => {
    const cause = new Error("boom");
    const error = new MeshError("MESH_ERR_TIMEOUT", "too slow", { cause });
    assert.equal(error.code, "MESH_ERR_TIMEOUT");
    assert.equal(error.cause, cause);
    assert.equal(error.retryable, true);
    assert.ok(isMeshError(error, "MESH_ERR_TIMEOUT"));
    assert.ok(!isMeshError(error, "MESH_ERR_ABORTED"));
  });

  it("names the wrong property and what it was", () => {
    const error = invalidArgument("request.id", "a non-empty string", 42);
    assert.equal(error.code, "MESH_ERR_INVALID_ARGUMENT");
    assert.equal(error.message, "request.id must be a non-empty string, got 42");
    assert.deepEqual(error.details, { property: "request.id" });
  });

  it("every code is documented in docs/errors.md, and every documented code exists", () => {
    const documented = new Set(docs.match(/MESH_ERR_[A-Z_]+/g) ?? []);
    const registered = new Set(Object.keys(ErrorCodes));
    assert.deepEqual(
      [...registered].filter((c) => !documented.has(c)),
      [],
      "codes missing from docs",
    );
    assert.deepEqual(
      [...documented].filter((c) => !registered.has(c)),
      [],
      "documented codes that do not exist",
    );
  });
});
