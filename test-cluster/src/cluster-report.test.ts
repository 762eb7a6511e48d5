/**
 * The cluster script's pure parts: its argument parsing and its placement verdicts,
 * with tables of cases (right and wrong placements alike, so the verdict can fail).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { moduleFor } from "../../scripts/dist/cluster-actors.js";
import { DEFAULT_NODES, type NodePlan, parseArgs, parseNodes, UsageError } from "../../scripts/dist/cluster-args.js";
import { viewGap } from "../../scripts/dist/cluster-harness.js";
import { countPlacement, formatTable, idsFor, judge } from "../../scripts/dist/cluster-report.js";

const SEED = parseNodes(DEFAULT_NODES);

describe("cluster arguments", () => {
  test("defaults are the seed's example on libcluster's port and group", () => {
    const o = parseArgs([]);
    assert.deepEqual(o.nodes, [
      { name: "node1", capabilities: ["game"] },
      { name: "node2", capabilities: ["chat"] },
      { name: "node3", capabilities: ["game", "chat", "payment"] },
    ]);
    assert.equal(o.port, 45892);
    assert.equal(o.multicastAddr, "230.1.1.251");
    assert.equal(o.ids, 300);
    assert.equal(o.secret, undefined, "a fresh secret per run");
    assert.equal(o.keepRunning, false);
  });

  const good: [string[], Partial<ReturnType<typeof parseArgs>>][] = [
    [["--ids", "5"], { ids: 5 }],
    [["--ids=7", "--port=40001"], { ids: 7, port: 40_001 }],
    [["--", "--keep-running", "--interval-ms", "250"], { keepRunning: true, intervalMs: 250 }],
    [["--multicast-addr", "239.1.2.3", "--secret", "s3"], { multicastAddr: "239.1.2.3", secret: "s3" }],
    [["-h"], { help: true }],
    [
      ["--nodes", "a=x,y,x; b= ;c"],
      {
        nodes: [
          { name: "a", capabilities: ["x", "y"] },
          { name: "b", capabilities: [] },
          { name: "c", capabilities: [] },
        ],
      },
    ],
  ];
  for (const [argv, want] of good) {
    test(`accepts ${argv.join(" ")}`, () => {
      const o = parseArgs(argv);
      for (const [key, value] of Object.entries(want)) assert.deepEqual(o[key as keyof typeof o], value, key);
    });
  }

  const bad: [string[], RegExp][] = [
    [["--bogus"], /unknown option/],
    [["--ids"], /needs a value/],
    [["--ids", "0"], /--ids must be an integer/],
    [["--ids", "1.5"], /--ids must be an integer/],
    [["--port", "70000"], /--port/],
    [["--multicast-addr", "10.0.0.1"], /multicast group/],
    [["--multicast-addr", "240.0.0.1"], /multicast group/],
    [["--nodes", "a=x;a=y"], /named twice/],
    [["--nodes", ";"], /no node/],
    [["--nodes", "a b=x"], /bad node name/],
    [["--keep-running=yes"], /takes no value/],
    [["--secret="], /must not be empty/],
  ];
  for (const [argv, message] of bad) {
    test(`rejects ${argv.join(" ")}`, () => {
      assert.throws(
        () => parseArgs(argv),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    });
  }
});

describe("placement verdicts", () => {
  const actors = (game: Record<string, string[]>, chat: Record<string, string[]>, payment: Record<string, string[]>) =>
    Object.fromEntries(
      ["node1", "node2", "node3"].map((n) => [
        n,
        { GameActor: game[n] ?? [], ChatActor: chat[n] ?? [], PaymentActor: payment[n] ?? [] },
      ]),
    );
  const ids = (capability: string, from: number, to: number): string[] => idsFor(capability, to).slice(from - 1);

  test("the seed's placement is judged right", () => {
    const rows = countPlacement(
      SEED,
      actors(
        { node1: ids("game", 1, 4), node3: ids("game", 5, 10) },
        { node2: ids("chat", 1, 3), node3: ids("chat", 4, 10) },
        { node3: ids("payment", 1, 10) },
      ),
      moduleFor,
    );
    assert.deepEqual(
      rows.map((r) => [r.capability, r.byNode, r.total]),
      [
        ["game", { node1: 4, node2: 0, node3: 6 }, 10],
        ["chat", { node1: 0, node2: 3, node3: 7 }, 10],
        ["payment", { node1: 0, node2: 0, node3: 10 }, 10],
      ],
    );
    const verdicts = rows.map((r) => judge(r, SEED, 10));
    assert.deepEqual(
      verdicts.map((v) => [v.capability, v.ok, v.allowed]),
      [
        ["game", true, ["node1", "node3"]],
        ["chat", true, ["node2", "node3"]],
        ["payment", true, ["node3"]],
      ],
    );
    assert.match(
      verdicts[2]?.line ?? "",
      /payment\s+OK\s+10 actors on node3 \(10\): only nodes with payment \[node3\]/,
    );
    const table = formatTable(rows, SEED).split("\n");
    assert.match(table[0] ?? "", /^capability\s+module\s+node1\s+node2\s+node3\s+total$/);
    assert.match(table[2] ?? "", /^game\s+GameActor\s+4\s+·\s+6\s+10$/);
    assert.match(table[4] ?? "", /^payment\s+PaymentActor\s+·\s+·\s+10\s+10$/);
  });

  const wrong: [string, ReturnType<typeof actors>, RegExp][] = [
    [
      "a payment actor on node1",
      actors({}, {}, { node1: ["wallet_1"], node3: ids("payment", 2, 10) }),
      /node1 \(1\), which lack payment/,
    ],
    ["missing actors", actors({}, {}, { node3: ids("payment", 1, 7) }), /7 actors found, 10 expected/],
  ];
  for (const [name, placed, message] of wrong) {
    test(`judged wrong: ${name}`, () => {
      const row = countPlacement(SEED, placed, moduleFor).find((r) => r.capability === "payment");
      assert.ok(row);
      const verdict = judge(row, SEED, 10);
      assert.equal(verdict.ok, false);
      assert.match(verdict.line, message);
      assert.match(verdict.line, /^payment\s+WRONG/);
    });
  }

  test("a duplicate is counted once and named", () => {
    const twoNodes: NodePlan[] = [
      { name: "a", capabilities: ["game"] },
      { name: "b", capabilities: ["game"] },
    ];
    const [row] = countPlacement(twoNodes, { a: { GameActor: ["p1", "p2"] }, b: { GameActor: ["p2"] } }, moduleFor);
    assert.deepEqual(row?.duplicates, ["p2"]);
    assert.equal(row?.total, 2);
    assert.match(judge(row as NonNullable<typeof row>, twoNodes, 2).line, /1 actors live on two nodes \(e\.g\. p2\)/);
  });

  test("a node that did not answer shows as down", () => {
    const rows = countPlacement(SEED, { node1: undefined, node2: { ChatActor: ["room_1"] }, node3: {} }, moduleFor);
    assert.match(formatTable(rows, SEED), /chat\s+ChatActor\s+down\s+1\s+0\s+1/);
  });

  test("modules: the seed's three by name, others as <Capability>Actor", () => {
    assert.deepEqual(["game", "chat", "payment", "video", "ml-gpu"].map(moduleFor), [
      "GameActor",
      "ChatActor",
      "PaymentActor",
      "VideoActor",
      "Ml_gpuActor",
    ]);
    assert.deepEqual(idsFor("game", 2), ["player_1", "player_2"]);
    assert.deepEqual(idsFor("video", 1), ["video_1"]);
  });

  test("convergence: a view is complete only with every node alive and every capability routed right", () => {
    const members = SEED.map((p) => ({
      name: p.name,
      state: "alive",
      incarnation: 0,
      address: { host: "127.0.0.1", port: 1 },
      capabilities: p.capabilities,
      tags: {},
    }));
    const nodesFor = { game: ["node1", "node3"], chat: ["node2", "node3"], payment: ["node3"] };
    assert.equal(viewGap("node1", { members, nodesFor }, SEED), "");
    assert.equal(
      viewGap("node1", { members: members.filter((m) => m.name !== "node2"), nodesFor }, SEED),
      "node1 sees node2 unknown",
    );
    assert.equal(
      viewGap("node1", { members, nodesFor: { ...nodesFor, payment: [] } }, SEED),
      "node1 sees payment -> []",
    );
  });
});
