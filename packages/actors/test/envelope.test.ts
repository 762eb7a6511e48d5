import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CALL, EMPTY_CHAIN, Envelope, Mailbox } from "../src/envelope.js";
import { code, settle, track } from "./helpers.js";

function envelope(payload: unknown, signal?: AbortSignal): Envelope {
  return new Envelope(CALL, payload, EMPTY_CHAIN, signal, undefined);
}

describe("mailbox", () => {
  it("is first in, first out, and unshift puts one envelope first", () => {
    const mailbox = new Mailbox();
    for (const n of [1, 2, 3]) mailbox.push(envelope(n));
    mailbox.unshift(envelope(0));
    assert.equal(mailbox.size, 4);
    const out: unknown[] = [];
    for (let e = mailbox.shift(); e !== null; e = mailbox.shift()) out.push(e.payload);
    assert.deepEqual(out, [0, 1, 2, 3]);
    assert.equal(mailbox.size, 0);
    assert.equal(mailbox.tail, null);
    mailbox.unshift(envelope("only"));
    assert.equal(mailbox.shift()?.payload, "only");
  });
});

describe("envelope", () => {
  it("settles once: the first of reply, error or abort wins", async () => {
    const controller = new AbortController();
    const e = envelope(1, controller.signal);
    const outcome = track(e.promise());
    controller.abort();
    e.fulfil("late reply");
    await settle();
    assert.equal(e.settled, true);
    assert.equal(outcome.state, "rejected");
    assert.ok(code("MESH_ERR_ABORTED")(outcome.error));
  });

  it("stops listening to its signal once settled", async () => {
    const controller = new AbortController();
    const e = envelope(1, controller.signal);
    const outcome = track(e.promise());
    e.fulfil("reply");
    controller.abort();
    await settle();
    assert.equal(outcome.state, "fulfilled");
    assert.equal(outcome.value, "reply");
  });
});
