import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { register } from "prom-client";
import { type AdminSource, CallRecorder, createMeshRegistry, LOCAL, REMOTE } from "../src/index.js";

/** A fixed source: the registry only reads members() and stats() at scrape time. */
const source: AdminSource = {
  name: "n1",
  members: () => [
    {
      name: "n1",
      state: "alive",
      incarnation: 1,
      gossip: "127.0.0.1:1",
      call: undefined,
      admin: undefined,
      capabilities: [],
      weight: 1,
    },
    {
      name: "n2",
      state: "dead",
      incarnation: 3,
      gossip: "127.0.0.1:2",
      call: undefined,
      admin: undefined,
      capabilities: [],
      weight: 1,
    },
  ],
  capabilities: () => [],
  ownership: () => ({ capability: "", nodes: [], owners: new Int16Array(0) }),
  explain: () => {
    throw new Error("not used");
  },
  stats: () => ({
    calls: 0,
    casts: 0,
    remoteCalls: 0,
    forwarded: 0,
    handoffsSent: 4,
    handoffsReceived: 2,
    handoffTimeouts: 1,
    rebalanceMoves: 1365,
    actorsByCapability: { game: 7 },
    activeActors: 7,
    gossipDropped: { malformed: 3 },
  }),
  readiness: () => ({ ready: true, reason: undefined }),
  subscribe: () => () => {},
  call: () => Promise.reject(new Error("not used")),
};

describe("the Mesh registry", () => {
  it("is its own registry, so two nodes in one process keep their own series", async () => {
    const one = new CallRecorder();
    const two = new CallRecorder();
    const first = createMeshRegistry(source, one);
    const second = createMeshRegistry(source, two);
    one.record("game", LOCAL, "ok", one.now());
    const a = await first.metrics();
    const b = await second.metrics();
    assert.match(a, /^mesh_calls_total\{capability="game",outcome="ok"\} 1$/m);
    assert.doesNotMatch(b, /^mesh_calls_total\{/m);
    assert.doesNotMatch(await register.metrics(), /mesh_/, "nothing on prom-client's global registry");
  });

  it("writes a consistent histogram and the gauges and counters from the source", async () => {
    const recorder = new CallRecorder();
    const registry = createMeshRegistry(source, recorder);
    const now = recorder.now();
    for (let i = 0; i < 5; i++) recorder.record("game", REMOTE, "ok", now - 2);
    recorder.record("game", REMOTE, "MESH_ERR_TIMEOUT", now - 6_000);
    const text = await registry.metrics();
    const bucket = (le: string) =>
      Number(
        text.match(
          new RegExp(
            `^mesh_call_duration_seconds_bucket\\{capability="game",location="remote",le="${le.replace("+", "\\+")}"\\} (\\d+)$`,
            "m",
          ),
        )?.[1],
      );
    assert.equal(bucket("0.001"), 0);
    assert.equal(bucket("0.0025"), 5);
    assert.equal(bucket("5"), 5);
    assert.equal(bucket("10"), 6);
    assert.equal(bucket("+Inf"), 6);
    assert.match(text, /^mesh_call_duration_seconds_count\{capability="game",location="remote"\} 6$/m);
    assert.doesNotMatch(text, /location="local"/, "no series for a location without calls");
    assert.match(text, /^mesh_calls_total\{capability="game",outcome="MESH_ERR_TIMEOUT"\} 1$/m);
    assert.match(text, /^mesh_members\{state="alive"\} 1$/m);
    assert.match(text, /^mesh_members\{state="dead"\} 1$/m);
    assert.match(text, /^mesh_members\{state="suspect"\} 0$/m);
    assert.match(text, /^mesh_actors_active\{capability="game"\} 7$/m);
    assert.match(text, /^mesh_gossip_packets_dropped_total\{reason="malformed"\} 3$/m);
    assert.match(text, /^mesh_rebalance_moves_total 1365$/m);
    assert.match(text, /^mesh_handoffs_total\{outcome="timeout"\} 1$/m);
    // Scraping twice does not double the counters (they are set from the recorder each time).
    assert.match(await registry.metrics(), /^mesh_calls_total\{capability="game",outcome="ok"\} 5$/m);
  });

  it("runs the process collectors once per process, however many registries are made", async () => {
    // prom-client's default metrics start a GC observer and an event-loop-delay
    // monitor that are never stopped: made per node, every node a process ever
    // started (a test suite, the test kit) would leave its own pair behind, each
    // called on every GC. Counted here at perf_hooks, which prom-client calls.
    const perfHooks = createRequire(import.meta.url)("node:perf_hooks") as typeof import("node:perf_hooks");
    const { PerformanceObserver } = perfHooks;
    const observe = PerformanceObserver.prototype.observe;
    const monitor = perfHooks.monitorEventLoopDelay;
    let observers = 0;
    let monitors = 0;
    PerformanceObserver.prototype.observe = function (this: InstanceType<typeof PerformanceObserver>, options) {
      observers++;
      return observe.call(this, options);
    };
    perfHooks.monitorEventLoopDelay = (options) => {
      monitors++;
      return monitor(options);
    };
    try {
      const registries = Array.from({ length: 5 }, () => createMeshRegistry(source, new CallRecorder()));
      assert.ok(observers <= 1 && monitors <= 1, `${observers} GC observers, ${monitors} monitors for 5 registries`);
      for (const registry of registries) {
        const text = await registry.metrics();
        assert.match(text, /^process_cpu_user_seconds_total \d/m, "each registry has the process metrics");
        assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
        assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m);
      }
    } finally {
      PerformanceObserver.prototype.observe = observe;
      perfHooks.monitorEventLoopDelay = monitor;
    }
  });
});
