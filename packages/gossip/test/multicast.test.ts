import assert from "node:assert/strict";
import dgram from "node:dgram";
import { after, describe, test } from "node:test";
import { isMeshError } from "@mesh/interface";
import { FakeClock, SeededRandom, waitFor } from "@mesh/testing";
import { decodeAnnouncement, encodeAnnouncement } from "../src/discovery/announcement.js";
import type { DiscoveryPeer } from "../src/discovery/discovery.js";
import {
  DEFAULT_ANNOUNCE_INTERVAL_MS,
  type MulticastDiscovery,
  type MulticastInit,
  multicastConfig,
  multicastDiscovery,
} from "../src/discovery/multicast.js";
import { deriveKey } from "../src/security/key-derivation.js";
import { LOOPBACK, randomGroup, randomHighPort } from "./net-helpers.js";

interface Started {
  readonly discovery: MulticastDiscovery;
  readonly name: string;
  readonly heard: Map<string, DiscoveryPeer>;
}

const running: MulticastDiscovery[] = [];
after(async () => {
  await Promise.all(running.map((d) => d.stop()));
});

/** Every test pins the multicast interface to loopback and uses its own port and group. */
async function start(name: string, gossipPort: number, init: MulticastInit): Promise<Started> {
  const discovery = multicastDiscovery({ multicastInterface: LOOPBACK, announceIntervalMs: 100, ...init });
  running.push(discovery);
  const heard = new Map<string, DiscoveryPeer>();
  await discovery.start({
    name,
    address: { host: LOOPBACK, port: gossipPort },
    onPeer: (peer) => heard.set(peer.name ?? "?", peer),
  });
  return { discovery, name, heard };
}

describe("multicast discovery configuration", () => {
  test("defaults are libcluster Gossip's", () => {
    const config = multicastConfig();
    assert.equal(config.port, 45892);
    assert.equal(config.ifAddr, "0.0.0.0");
    assert.equal(config.multicastInterface, "0.0.0.0");
    assert.equal(config.multicastAddr, "230.1.1.251");
    assert.equal(config.multicastTtl, 1);
    assert.equal(config.secret, undefined);
    assert.equal(config.broadcastOnly, false);
    assert.equal(config.announceIntervalMs, DEFAULT_ANNOUNCE_INTERVAL_MS);
    assert.ok(Object.isFrozen(config));
  });

  test("multicastInterface follows ifAddr when not given", () => {
    assert.equal(multicastConfig({ ifAddr: "10.1.2.3" }).multicastInterface, "10.1.2.3");
    assert.equal(
      multicastConfig({ ifAddr: "10.1.2.3", multicastInterface: "127.0.0.1" }).multicastInterface,
      "127.0.0.1",
    );
  });

  test("rejects invalid options, naming the property", () => {
    const cases: [MulticastInit, string][] = [
      [{ port: 0 }, "port"],
      [{ ifAddr: "eth0" }, "ifAddr"],
      [{ multicastInterface: "::1" }, "multicastInterface"],
      [{ multicastAddr: "10.0.0.1" }, "multicastAddr"],
      [{ multicastTtl: 256 }, "multicastTtl"],
      [{ secret: 5 as never }, "secret"],
      [{ broadcastOnly: "yes" as never }, "broadcastOnly"],
      [{ announceIntervalMs: 0 }, "announceIntervalMs"],
      [{ announceJitter: 1 }, "announceJitter"],
    ];
    for (const [init, property] of cases) {
      assert.throws(
        () => multicastConfig(init),
        (e: unknown) => isMeshError(e, "MESH_ERR_INVALID_ARGUMENT") && e.details?.property === property,
        JSON.stringify(init),
      );
    }
    // A broadcast address is fine when broadcastOnly says so.
    assert.equal(multicastConfig({ multicastAddr: "127.255.255.255", broadcastOnly: true }).broadcastOnly, true);
  });
});

describe("announcement codec", () => {
  const announcement = { name: "node-é1", address: { host: "127.0.0.1", port: 7946 } };

  test("round-trips plain and sealed", () => {
    const key = deriveKey("s", "discovery");
    assert.deepEqual(decodeAnnouncement(encodeAnnouncement(announcement, undefined), undefined), announcement);
    assert.deepEqual(decodeAnnouncement(encodeAnnouncement(announcement, key), key), announcement);
  });

  test("separates clusters: other secret, sealed vs plain", () => {
    const key = deriveKey("s", "discovery");
    const other = deriveKey("t", "discovery");
    assert.equal(decodeAnnouncement(encodeAnnouncement(announcement, key), other), "decrypt");
    assert.equal(decodeAnnouncement(encodeAnnouncement(announcement, key), undefined), "sealed");
    assert.equal(decodeAnnouncement(encodeAnnouncement(announcement, undefined), key), "unsealed");
  });

  test("rejects every truncation and trailing bytes", () => {
    const plain = encodeAnnouncement(announcement, undefined);
    for (let n = 0; n < plain.length; n++)
      assert.equal(decodeAnnouncement(plain.subarray(0, n), undefined), "malformed");
    assert.equal(decodeAnnouncement(Uint8Array.from([...plain, 0]), undefined), "malformed");
  });

  test("rejects a host that is not an IP literal, port 0, an empty name, bad UTF-8", () => {
    const encode = (name: number[], host: string, port: number): Uint8Array =>
      Uint8Array.from([
        0x4d,
        0x53,
        0x48,
        0x44,
        0x10,
        name.length,
        ...name,
        host.length,
        ...Buffer.from(host),
        port >> 8,
        port & 255,
      ]);
    assert.equal(decodeAnnouncement(encode([0x61], "evil.example", 1), undefined), "malformed");
    assert.equal(decodeAnnouncement(encode([0x61], "127.0.0.1", 0), undefined), "malformed");
    assert.equal(decodeAnnouncement(encode([], "127.0.0.1", 1), undefined), "malformed");
    assert.equal(decodeAnnouncement(encode([0xc3, 0x28], "127.0.0.1", 1), undefined), "malformed");
    assert.deepEqual(decodeAnnouncement(encode([0x61], "127.0.0.1", 1), undefined), {
      name: "a",
      address: { host: "127.0.0.1", port: 1 },
    });
  });
});

describe("multicast discovery on loopback (interface pinned to 127.0.0.1)", () => {
  test("four nodes on one host find each other, and ignore their own announcements", async () => {
    const init = { port: randomHighPort(), multicastAddr: randomGroup() };
    const nodes = await Promise.all([1, 2, 3, 4].map((i) => start(`node${i}`, 9000 + i, init)));
    await waitFor("every node to hear the three others", () => nodes.every((n) => n.heard.size === 3), {
      describe: () => nodes.map((n) => `${n.name}:[${[...n.heard.keys()]}]`).join(" "),
    });
    for (const n of nodes) {
      assert.equal(n.heard.has(n.name), false);
      for (const [name, peer] of n.heard) {
        assert.deepEqual(peer.address, { host: LOOPBACK, port: 9000 + Number(name.slice(4)) });
      }
    }
  });

  test("clusters with different secrets on the same group and port never see each other", async () => {
    const init = { port: randomHighPort(), multicastAddr: randomGroup() };
    const red = await Promise.all(
      ["red1", "red2"].map((n, i) => start(n, 9100 + i, { ...init, secret: "red secret" })),
    );
    const blue = await Promise.all(
      ["blue1", "blue2"].map((n, i) => start(n, 9200 + i, { ...init, secret: "blue secret" })),
    );
    const open = await start("open1", 9300, init);
    await waitFor(
      "each cluster to find its own",
      () => red.every((n) => n.heard.size === 1) && blue.every((n) => n.heard.size === 1),
    );
    // Wait until every node has dropped the announcements of each foreign node at least once.
    const drops = (n: Started, reason: string): number => n.discovery.stats().dropped[reason] ?? 0;
    await waitFor(
      "foreign announcements to be seen and dropped",
      () =>
        [...red, ...blue].every((n) => drops(n, "decrypt") >= 2 && drops(n, "unsealed") >= 1) &&
        drops(open, "sealed") >= 4,
    );
    assert.deepEqual([...(red[0]?.heard.keys() ?? [])], ["red2"]);
    assert.deepEqual([...(blue[0]?.heard.keys() ?? [])], ["blue2"]);
    assert.equal(open.heard.size, 0);
    // The drops above were: blue's sealed announcements failing to open at red (and the reverse), the open
    // node's plain ones refused by both, and the sealed ones unreadable by the open node.
    for (const n of [...red, ...blue]) assert.equal(n.heard.has("open1"), false);
  });

  test("broadcastOnly finds peers through the loopback broadcast address 127.255.255.255", async () => {
    const init = { port: randomHighPort(), multicastAddr: "127.255.255.255", broadcastOnly: true };
    const nodes = await Promise.all(["b1", "b2", "b3"].map((n, i) => start(n, 9400 + i, init)));
    await waitFor("every node to hear the two others", () => nodes.every((n) => n.heard.size === 2));
  });

  test("drops and counts garbage sent to the group; never throws", async () => {
    const init = { port: randomHighPort(), multicastAddr: randomGroup() };
    const n = await start("target", 9500, init);
    const raw = dgram.createSocket({ type: "udp4", reuseAddr: true });
    await new Promise<void>((resolve) => raw.bind({ address: LOOPBACK, port: 0 }, resolve));
    raw.setMulticastInterface(LOOPBACK);
    const garbage = [new Uint8Array(0), Uint8Array.of(0x4d, 0x53, 0x48, 0x44), new Uint8Array(300).fill(7)];
    for (const g of garbage) raw.send(g, init.port, init.multicastAddr);
    await waitFor("three drops", () => (n.discovery.stats().dropped.malformed ?? 0) === 3);
    raw.close();
    assert.equal(n.heard.size, 0);
  });

  test("replaces a wildcard advertised host with the datagram's source address", async () => {
    const init = { port: randomHighPort(), multicastAddr: randomGroup() };
    const listener = await start("listener", 9600, init);
    const wildcard = multicastDiscovery({ ...init, multicastInterface: LOOPBACK, announceIntervalMs: 100 });
    running.push(wildcard);
    await wildcard.start({ name: "wild", address: { host: "0.0.0.0", port: 9601 }, onPeer: () => {} });
    await waitFor("the wildcard node to be heard", () => listener.heard.has("wild"));
    assert.deepEqual(listener.heard.get("wild")?.address, { host: LOOPBACK, port: 9601 });
  });

  test("announces at start, then every interval ± jitter on the clock component", async () => {
    const clock = new FakeClock();
    const init = { port: randomHighPort(), multicastAddr: randomGroup(), multicastInterface: LOOPBACK };
    const d = multicastDiscovery(
      { ...init, announceIntervalMs: 1_000, announceJitter: 0.2 },
      { clock, random: new SeededRandom(7) },
    );
    running.push(d);
    await d.start({ name: "timed", address: { host: LOOPBACK, port: 9700 }, onPeer: () => {} });
    assert.equal(d.stats().announcementsSent, 1);
    clock.advance(799);
    assert.equal(d.stats().announcementsSent, 1, "no announcement before 0.8 × interval");
    clock.advance(1_200 - 799);
    assert.equal(d.stats().announcementsSent, 2, "one by 1.2 × interval");
    clock.advance(10 * 1_200);
    const sent = d.stats().announcementsSent;
    assert.ok(sent >= 2 + 10 && sent <= 2 + 15, `between 10 and 15 more in 12 s, got ${sent - 2}`);
    await d.stop();
    clock.advance(10_000);
    assert.equal(d.stats().announcementsSent, sent, "stop() cancels the timer");
    await d.stop(); // idempotent
  });

  test("fails with MESH_ERR_BIND_FAILED when the interface cannot be used", async () => {
    const d = multicastDiscovery({
      port: randomHighPort(),
      multicastAddr: randomGroup(),
      multicastInterface: "192.0.2.123",
    });
    await assert.rejects(d.start({ name: "x", address: { host: LOOPBACK, port: 1 }, onPeer: () => {} }), (e: unknown) =>
      isMeshError(e, "MESH_ERR_BIND_FAILED"),
    );
    await d.stop();
  });

  test("rejects a name that cannot be announced", async () => {
    const d = multicastDiscovery({
      port: randomHighPort(),
      multicastAddr: randomGroup(),
      multicastInterface: LOOPBACK,
    });
    await assert.rejects(d.start({ name: "", address: { host: LOOPBACK, port: 1 }, onPeer: () => {} }), (e: unknown) =>
      isMeshError(e, "MESH_ERR_INVALID_ARGUMENT"),
    );
  });
});
