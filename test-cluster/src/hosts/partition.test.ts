/**
 * Scenario 4: partitions on four hosts. The normal run cuts 1 | 3 for 15 s; the full
 * run cuts 1 | 3 and then 2 | 2, 60 s each. For each split:
 * - each side declares the other side dead within the detection bound and then serves
 *   every call its own nodes make, from its own nodes (it takes over the other side's
 *   shards);
 * - after the heal, one cluster again within 30 s, and calls succeed within 1 s of
 *   the views healing;
 * - actors that were active on both sides are found and reduced to one; their count
 *   and how long the duplicates lasted are reported.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { waitFor } from "@mesh/testing";
import type { NodePlan } from "../../../scripts/dist/cluster-args.js";
import { collectActors } from "../../../scripts/dist/cluster-harness.js";
import type { ClusterProcess } from "../../../scripts/dist/cluster-process.js";
import { type Figures, report } from "../netns/figures.js";
import { HostCluster } from "../netns/host-cluster.js";
import { COUNTER_CAPABILITY, failureSamples, formatFailures, startLoads, stopLoads, totals } from "../netns/load.js";
import { fullRun, hostLabSkip, scale } from "../netns/requirements.js";
import { detectionBoundMs, eventAt, isolatedDetectionBoundMs, lastState } from "../support/loopback.js";

const NODES: NodePlan[] = ["n1", "n2", "n3", "n4"].map((name) => ({ name, capabilities: [COUNTER_CAPABILITY] }));
const SPLITS: readonly (readonly string[][])[] = scale(
  [[["n1"], ["n2", "n3", "n4"]]],
  [
    [["n1"], ["n2", "n3", "n4"]],
    [
      ["n1", "n2"],
      ["n3", "n4"],
    ],
  ],
);
const SPLIT_MS = scale(15_000, 60_000);
const HEAL_MS = 30_000;
const CALL_TIMEOUT_MS = 4_000;
const MODULE = "CounterActor";

/** Ids active on more than one node now, with the nodes. */
async function duplicates(procs: readonly ClusterProcess[]): Promise<Map<string, string[]>> {
  const actors = await collectActors(procs);
  const where = new Map<string, string[]>();
  for (const [node, byModule] of Object.entries(actors)) {
    for (const id of byModule?.[MODULE] ?? []) where.set(id, [...(where.get(id) ?? []), node]);
  }
  return new Map([...where].filter(([, nodes]) => nodes.length > 1));
}

/** "id on [n1, n3], owner n1; …" for the first few duplicates. */
async function describeDuplicates(via: ClusterProcess, dup: ReadonlyMap<string, string[]>): Promise<string> {
  const ids = [...dup.keys()].slice(0, 5);
  if (ids.length === 0) return "none";
  const owners = await via.request({ op: "owners", capability: COUNTER_CAPABILITY, ids });
  return ids.map((id) => `${id} on [${dup.get(id)?.join(", ")}], owner ${owners[id]?.owner}`).join("; ");
}

/**
 * Runs one split; fills `figures` as it goes, so a failure still reports what was measured.
 * Resolves with the failure of the duplicate check (undefined when every duplicate was
 * reduced to one in time), which its own test asserts.
 */
async function runSplit(
  cluster: HostCluster,
  sides: readonly string[][],
  n: number,
  figures: Figures,
): Promise<unknown> {
  const label = sides.map((s) => s.length).join(" | ");
  const procs = cluster.running();
  const sideOf = (name: string): readonly string[] => sides.find((s) => s.includes(name)) ?? [];
  const boundMs = sides.some((side) => side.length === 1)
    ? isolatedDetectionBoundMs(NODES.length)
    : detectionBoundMs(NODES.length);

  const cutAt = Date.now();
  await cluster.lab.partition(sides);
  const seesOtherSideDead = (p: ClusterProcess): boolean =>
    procs.filter((q) => !sideOf(p.name).includes(q.name)).every((q) => eventAt(p, "member:dead", q.name, cutAt));
  await waitFor(`every node to see the other side of ${label} dead`, () => procs.every(seesOtherSideDead), {
    timeoutMs: boundMs + 10_000,
    intervalMs: 50,
    describe: () =>
      procs
        .map(
          (p) =>
            `${p.name}: ${procs
              .filter((q) => q !== p)
              .map((q) => `${q.name} ${lastState(p, q.name)}`)
              .join(" ")}`,
        )
        .join("; "),
  });
  const detected = Math.max(
    ...procs.flatMap((p) =>
      procs
        .filter((q) => !sideOf(p.name).includes(q.name))
        .map((q) => (eventAt(p, "member:dead", q.name, cutAt) as number) - cutAt),
    ),
  );
  figures[`${label}: cut -> other side dead, slowest (ms)`] = detected;
  assert.ok(detected <= boundMs, `the other side was declared dead after ${detected} ms > ${boundMs}`);

  // Each side serves every call its own nodes make, from its own nodes.
  const loadId = `split${n}`;
  await startLoads(procs, { loadId, idsPerCaller: 100, concurrency: 10, pauseMs: 5, backoffMs: 50 });
  await new Promise((resolve) => setTimeout(resolve, Math.max(5_000, SPLIT_MS - (Date.now() - cutAt))));
  const during = await stopLoads(procs, loadId);
  const sum = totals(during.values());
  figures[`${label}: calls during the split`] = `${sum.ok} ok, ${sum.failed} failed (${formatFailures(sum.failures)})`;
  const foreign: string[] = [];
  for (const [caller, r] of during) {
    for (const [id, nodes] of Object.entries(r.answeredBy)) {
      for (const node of nodes)
        if (!sideOf(caller).includes(node)) foreign.push(`${id} from ${caller} answered by ${node}`);
    }
  }
  const before = await duplicates(procs);
  assert.equal(before.size, 0, "no actor is active twice on one side");

  // Heal, with calls running: one cluster again, calls succeed soon after the views heal.
  const healLoad = `heal${n}`;
  await startLoads(procs, { loadId: healLoad, idsPerCaller: 100, concurrency: 10, pauseMs: 5, backoffMs: 50 });
  const healAt = Date.now();
  await cluster.lab.heal();
  const healedMs = await cluster.converge(NODES, HEAL_MS);
  const healedAt = Date.now();
  figures[`${label}: heal -> one cluster (ms)`] = Math.round(healedMs);
  let dup = await duplicates(procs);
  const duplicatesAtHeal = dup.size;
  const everDuplicated = new Set(dup.keys());
  let seen = "";
  // Measured to the end even when it never happens; asserted last.
  const notDeduplicated = await waitFor(
    "every actor active on both sides to be reduced to one",
    async () => {
      dup = await duplicates(procs);
      for (const id of dup.keys()) everDuplicated.add(id);
      seen = `${dup.size} ids active twice: ${await describeDuplicates(procs[0] as ClusterProcess, dup)}`;
      return dup.size === 0;
    },
    { timeoutMs: HEAL_MS, intervalMs: 200, describe: () => seen },
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  const dedupedMs = notDeduplicated === undefined ? Date.now() - healAt : `not within ${HEAL_MS} ms (${seen})`;
  figures[`${label}: actors active on both sides at the heal`] = duplicatesAtHeal;
  figures[`${label}: actors seen active twice after the heal`] = everDuplicated.size;
  figures[`${label}: heal -> no actor active twice (ms)`] = dedupedMs;
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const healReports = await stopLoads(procs, healLoad);
  const healSum = totals(healReports.values());
  const lastFailure = Math.max(
    healAt,
    ...[...healReports.values()].flatMap((r) => Object.values(r.failures).map((f) => f.lastAt)),
  );
  figures[`${label}: calls across the heal`] =
    `${healSum.ok} ok, ${healSum.failed} failed (${formatFailures(healSum.failures)})`;
  figures[`${label}: views healed -> last failed call (ms)`] = Math.max(0, lastFailure - healedAt);

  assert.equal(sum.failed, 0, `each side serves all its calls during the split (${formatFailures(sum.failures)})`);
  assert.deepEqual(foreign.slice(0, 5), [], "calls are answered on the caller's side");
  assert.ok(
    lastFailure <= healedAt + 1_000,
    `calls fail until ${lastFailure - healedAt} ms after the views healed (${formatFailures(healSum.failures)}; ${failureSamples(healReports.values())})`,
  );
  return notDeduplicated;
}

describe(
  `scenario 4: partitions ${SPLITS.map((s) => s.map((side) => side.length).join("|")).join(" and ")}, ${SPLIT_MS / 1000} s each`,
  { skip: hostLabSkip(), timeout: fullRun() ? 900_000 : 180_000 },
  () => {
    for (const [i, sides] of SPLITS.entries()) {
      const label = sides.map((side) => side.length).join(" | ");
      describe(`split ${label}`, () => {
        let cluster: HostCluster | undefined;
        after(() => cluster?.destroy());

        test("each side serves its shards; one cluster within 30 s of the heal", async (t) => {
          cluster = await HostCluster.start({ nodes: NODES, callTimeoutMs: CALL_TIMEOUT_MS });
          const figures: Figures = { "split duration (s)": SPLIT_MS / 1000 };
          let deduplication: unknown;
          try {
            deduplication = await runSplit(cluster, sides, i, figures);
          } finally {
            await cluster.lab.heal();
            report(t, `4.${i + 1}`, `partition ${label}, then heal`, figures);
          }
          await t.test("actors active on both sides are reduced to one within 30 s", () => {
            if (deduplication !== undefined) throw deduplication;
          });
        });
      });
    }
  },
);
