import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAILBOX_CAPACITY,
  DEFAULT_SWEEP_INTERVAL_MS,
  resolveRuntimeConfig,
  resolveTypeConfig,
} from "../src/config.js";
import { code } from "./helpers.js";

describe("runtime and type options", () => {
  it("applies the documented defaults and freezes the result", () => {
    const config = resolveRuntimeConfig({});
    assert.deepEqual(config, {
      mailboxCapacity: DEFAULT_MAILBOX_CAPACITY,
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS,
    });
    assert.equal(DEFAULT_MAILBOX_CAPACITY, 1000);
    assert.equal(DEFAULT_IDLE_TIMEOUT_MS, 300_000);
    assert.ok(Object.isFrozen(config));
  });

  it("stores an idle timeout of 0 as Infinity (passivation off)", () => {
    assert.equal(resolveRuntimeConfig({ idleTimeoutMs: 0 }).idleTimeoutMs, Number.POSITIVE_INFINITY);
    assert.equal(
      resolveRuntimeConfig({ idleTimeoutMs: Number.POSITIVE_INFINITY }).idleTimeoutMs,
      Number.POSITIVE_INFINITY,
    );
  });

  it("rejects bad values, naming the property", () => {
    const bad: [object, string][] = [
      [{ mailboxCapacity: -1 }, "mailboxCapacity"],
      [{ mailboxCapacity: 1.5 }, "mailboxCapacity"],
      [{ mailboxCapacity: "10" }, "mailboxCapacity"],
      [{ idleTimeoutMs: -5 }, "idleTimeoutMs"],
      [{ idleTimeoutMs: Number.NaN }, "idleTimeoutMs"],
      [{ sweepIntervalMs: 0 }, "sweepIntervalMs"],
      [{ sweepIntervalMs: Number.POSITIVE_INFINITY }, "sweepIntervalMs"],
    ];
    for (const [init, property] of bad) {
      assert.throws(
        () => resolveRuntimeConfig(init),
        (error: unknown) => code("MESH_ERR_INVALID_ARGUMENT")(error) && String(error).includes(property),
      );
    }
  });

  it("per-type options override the runtime's, the rest inherit", () => {
    const runtime = resolveRuntimeConfig({ mailboxCapacity: 10, idleTimeoutMs: 5000 });
    assert.deepEqual(resolveTypeConfig(undefined, runtime), { mailboxCapacity: 10, idleTimeoutMs: 5000 });
    assert.deepEqual(resolveTypeConfig({ mailboxCapacity: 0 }, runtime), { mailboxCapacity: 0, idleTimeoutMs: 5000 });
    assert.deepEqual(resolveTypeConfig({ idleTimeoutMs: 0 }, runtime), {
      mailboxCapacity: 10,
      idleTimeoutMs: Number.POSITIVE_INFINITY,
    });
    assert.throws(() => resolveTypeConfig({ mailboxCapacity: -1 }, runtime), code("MESH_ERR_INVALID_ARGUMENT"));
  });
});
