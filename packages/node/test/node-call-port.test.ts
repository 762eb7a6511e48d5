import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { describe, it } from "node:test";
import type { LogFields, Logger } from "@mesh/interface";
import { waitFor } from "@mesh/testing";
import { createNode } from "../src/index.js";

describe("a node's call port", () => {
  it("logs the connections it drops for its own protection through the node's logger, rate-limited", async (t) => {
    const lines: { level: string; message: string; fields?: LogFields }[] = [];
    const at = (level: string) => (message: string, fields?: LogFields) => {
      lines.push({ level, message, ...(fields === undefined ? {} : { fields }) });
    };
    const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
    const node = await createNode({
      name: `port-${randomBytes(3).toString("hex")}`,
      host: "127.0.0.1",
      multicast: false,
      seeds: [],
      secret: randomBytes(16),
      logger,
    });
    t.after(() => node.stop());
    const call = node.members()[0]?.tags.call;
    assert.ok(call !== undefined, "the node announces its call address");
    const port = Number(call.split(":").pop());

    // Ten strangers announce 16 MiB frames: no hello, no secret.
    const announce = Buffer.alloc(4);
    announce.writeUInt32BE(16 * 1024 * 1024, 0);
    await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<void>((resolve) => {
            const socket = connect({ host: "127.0.0.1", port }, () => socket.write(announce));
            socket.on("error", () => {});
            socket.on("close", () => resolve());
            socket.resume();
          }),
      ),
    );
    const dropped = () => lines.filter((l) => l.message.startsWith("call port dropped a connection"));
    await waitFor("the drop to be logged", () => dropped().length > 0);
    assert.equal(dropped().length, 1, "ten drops of one reason, one line");
    assert.equal(dropped()[0]?.level, "warn");
    assert.equal(dropped()[0]?.fields?.reason, "oversize-frame");
    assert.match(String(dropped()[0]?.fields?.remoteAddress), /^127\.0\.0\.1:\d+$/);
  });
});
