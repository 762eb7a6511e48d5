import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "@mesh/testing";
import {
  createGossip,
  createUdpTransport,
  type Gossip,
  Keyring,
  secureTransport,
  type Transport,
} from "../src/index.js";

// The same behaviours as the simulations, over real sockets on 127.0.0.1 with
// the local preset (probe interval 1 s, suspicion 3 * max(1, log10(n)) s).

async function cluster(n: number, wrap: (t: Transport) => Transport = (t) => t) {
  const members: { gossip: Gossip; transport: Transport }[] = [];
  for (let i = 0; i < n; i++) {
    const transport = wrap(createUdpTransport({ host: "127.0.0.1", port: 0 }));
    const gossip = createGossip({ name: `udp-${i}`, preset: "local", capabilities: [`cap-${i}`] }, { transport });
    await gossip.start();
    members.push({ gossip, transport });
  }
  const seed = (members[0] as (typeof members)[0]).gossip.localMember.address;
  await Promise.all(members.slice(1).map((m) => m.gossip.join([seed])));
  return members;
}

const sees = (g: Gossip, name: string, state: string) => g.members().find((m) => m.name === name)?.state === state;

test(
  "over UDP on loopback: 5 members converge, a killed one is dead everywhere, a leaver is left",
  { timeout: 60_000 },
  async () => {
    const members = await cluster(5);
    try {
      const all = members.map((m) => m.gossip.name);
      await waitFor("all alive everywhere", () => members.every((m) => all.every((n) => sees(m.gossip, n, "alive"))), {
        timeoutMs: 10_000,
        describe: () =>
          members.map((m) => `${m.gossip.name}: ${m.gossip.members().map((x) => `${x.name}=${x.state}`)}`).join("; "),
      });
      assert.ok(members.every((m) => m.gossip.members().find((x) => x.name === "udp-4")?.capabilities[0] === "cap-4"));
      // Kill: the transport closes under it with no goodbye, like a SIGKILL.
      const victim = members[4] as (typeof members)[0];
      await victim.transport.stop();
      const survivors = members.slice(0, 4);
      await waitFor(
        "the killed member dead everywhere",
        () => survivors.every((m) => sees(m.gossip, "udp-4", "dead")),
        {
          timeoutMs: 20_000,
        },
      );
      const leaver = members[3] as (typeof members)[0];
      await leaver.gossip.stop();
      await waitFor(
        "the leaver left everywhere",
        () => members.slice(0, 3).every((m) => sees(m.gossip, "udp-3", "left")),
        {
          timeoutMs: 5_000,
          describe: () =>
            members.map((m) => `${m.gossip.name}: ${m.gossip.members().map((x) => `${x.name}=${x.state}`)}`).join("; "),
        },
      );
    } finally {
      await Promise.all(members.map((m) => m.gossip.stop()));
    }
  },
);

test(
  "over the encrypted transport: members with the secret converge; one without it cannot join",
  { timeout: 60_000 },
  async () => {
    const keyring = Keyring.fromSecret("gossip test secret with enough entropy 5b2d");
    const members = await cluster(3, (t) => secureTransport(t, keyring));
    const outsider = createGossip(
      { name: "outsider", preset: "local" },
      {
        transport: secureTransport(
          createUdpTransport({ host: "127.0.0.1", port: 0 }),
          Keyring.fromSecret("some other secret 0000000000"),
        ),
      },
    );
    try {
      await waitFor(
        "all alive",
        () => members.every((m) => ["udp-0", "udp-1", "udp-2"].every((n) => sees(m.gossip, n, "alive"))),
        {
          timeoutMs: 10_000,
        },
      );
      await outsider.start();
      await assert.rejects(outsider.join([(members[0] as (typeof members)[0]).gossip.localMember.address]));
      assert.ok(members.every((m) => m.gossip.members().every((x) => x.name !== "outsider")));
    } finally {
      await Promise.all([...members.map((m) => m.gossip.stop()), outsider.stop()]);
    }
  },
);
