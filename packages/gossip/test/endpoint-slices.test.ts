import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseEndpointSlice, parseSliceList, parseWatchEvent } from "../src/discovery/endpoint-slices.js";

const slice = (overrides: Record<string, unknown> = {}) => ({
  metadata: { name: "mesh-abcde", resourceVersion: "12", labels: { "kubernetes.io/service-name": "mesh" } },
  addressType: "IPv4",
  endpoints: [
    { addresses: ["10.0.0.1"], conditions: { ready: true, serving: true, terminating: false } },
    { addresses: ["10.0.0.2"], conditions: { ready: false, serving: false, terminating: false } },
    { addresses: ["10.0.0.3"], conditions: { ready: false, serving: true, terminating: true } },
    { addresses: ["10.0.0.4"], conditions: {} },
    { addresses: ["10.0.0.5"] },
    { addresses: ["not-an-ip"], conditions: { ready: true } },
  ],
  ports: [
    { name: "http", port: 8080, protocol: "TCP" },
    { name: "gossip", port: 7946, protocol: "UDP" },
  ],
  ...overrides,
});

describe("parseEndpointSlice", () => {
  test("keeps ready (or unknown-readiness) endpoints at the named port; drops not-ready and terminating", () => {
    const parsed = parseEndpointSlice(slice(), "gossip", 100);
    assert.ok(typeof parsed !== "string");
    assert.deepEqual(
      parsed.addresses.map((a) => `${a.host}:${a.port}`),
      ["10.0.0.1:7946", "10.0.0.4:7946", "10.0.0.5:7946"],
    );
    assert.deepEqual(parsed.skipped, { "not-ready": 1, terminating: 1, "bad-address": 1 });
  });
  test("a slice without the named port, an FQDN slice and null endpoints give nothing", () => {
    const noPort = parseEndpointSlice(slice(), "swim", 100);
    assert.ok(typeof noPort !== "string" && noPort.addresses.length === 0 && noPort.skipped["no-port"] === 6);
    const fqdn = parseEndpointSlice(slice({ addressType: "FQDN" }), "gossip", 100);
    assert.ok(typeof fqdn !== "string" && fqdn.skipped.fqdn === 6);
    const empty = parseEndpointSlice(slice({ endpoints: null }), "gossip", 100);
    assert.ok(typeof empty !== "string" && empty.addresses.length === 0);
  });
  test('an unnamed single port matches portName ""', () => {
    const parsed = parseEndpointSlice(slice({ ports: [{ port: 9000, protocol: "UDP" }] }), "", 100);
    assert.ok(typeof parsed !== "string" && parsed.addresses[0]?.port === 9000);
  });
  test("IPv6 slices take IPv6 addresses only", () => {
    const parsed = parseEndpointSlice(
      slice({ addressType: "IPv6", endpoints: [{ addresses: ["fd00::1"] }, { addresses: ["10.0.0.1"] }] }),
      "gossip",
      100,
    );
    assert.ok(typeof parsed !== "string");
    assert.deepEqual(parsed.addresses, [{ host: "fd00::1", port: 7946 }]);
  });
  test("caps the addresses kept", () => {
    const parsed = parseEndpointSlice(slice(), "gossip", 2);
    assert.ok(typeof parsed !== "string" && parsed.addresses.length === 2 && parsed.skipped["over-cap"] === 1);
  });
  const malformed: [string, unknown][] = [
    ["null", null],
    ["an array", []],
    ["no name", slice({ metadata: {} })],
    ["a bad addressType", slice({ addressType: "IPv5" })],
    ["endpoints not an array", slice({ endpoints: {} })],
    ["ports not an array", slice({ ports: "gossip" })],
    ["an endpoint without addresses", slice({ endpoints: [{ conditions: {} }] })],
    ["a port out of range", slice({ ports: [{ name: "gossip", port: 70000 }] })],
  ];
  for (const [what, value] of malformed) {
    test(`rejects ${what}`, () => {
      const parsed = parseEndpointSlice(value, "gossip", 100);
      if (what === "a port out of range") {
        assert.ok(typeof parsed !== "string" && parsed.addresses.length === 0 && parsed.skipped["no-port"] === 6);
      } else assert.equal(typeof parsed, "string");
    });
  }
});

describe("parseSliceList and parseWatchEvent", () => {
  test("a page with a continue token", () => {
    const page = parseSliceList({
      kind: "EndpointSliceList",
      apiVersion: "discovery.k8s.io/v1",
      metadata: { resourceVersion: "42", continue: "abc", remainingItemCount: 3 },
      items: [slice()],
    });
    assert.ok(typeof page !== "string");
    assert.equal(page.resourceVersion, "42");
    assert.equal(page.continueToken, "abc");
    assert.equal(page.items.length, 1);
  });
  test("the last page (empty continue) and null items", () => {
    const page = parseSliceList({ metadata: { resourceVersion: "1", continue: "" }, items: null });
    assert.ok(typeof page !== "string" && page.continueToken === undefined && page.items.length === 0);
  });
  for (const bad of [
    null,
    {},
    { metadata: {} },
    { kind: "PodList", metadata: { resourceVersion: "1" } },
    { metadata: { resourceVersion: "1" }, items: {} },
  ]) {
    test(`rejects the list ${JSON.stringify(bad)}`, () => assert.equal(typeof parseSliceList(bad), "string"));
  }
  test("watch events", () => {
    assert.deepEqual(parseWatchEvent({ type: "BOOKMARK", object: { metadata: { resourceVersion: "9" } } }), {
      type: "BOOKMARK",
      object: { metadata: { resourceVersion: "9" } },
    });
    for (const bad of [null, { type: "ADDED" }, { type: "UPSERT", object: {} }, { type: "ADDED", object: [] }]) {
      assert.equal(typeof parseWatchEvent(bad), "string", JSON.stringify(bad));
    }
  });
});
