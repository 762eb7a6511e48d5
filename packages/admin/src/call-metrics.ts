import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from "prom-client";
import type { AdminSource } from "./admin-source.js";
import { CALL_DURATION_BUCKETS, type CallRecorder, LOCAL, REMOTE } from "./call-recorder.js";

const LOCATIONS = ["local", "remote"] as const;

let processRegistry: Registry | undefined;

/**
 * prom-client's default process metrics, made once per process: they start a GC
 * observer and an event-loop-delay monitor that prom-client never stops, so made
 * per node, every node a process ever started would leave its own pair running.
 * They describe the process, so every node in it reports the same ones.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * A prom-client registry of its own (never the global one, so two nodes in one
 * process, or an application's own metrics, do not collide), merged with the
 * process metrics. Every Mesh metric is filled by a `collect` callback at scrape
 * time from the recorder and the source; nothing here runs on the call path.
 */
export function createMeshRegistry(source: AdminSource, recorder: CallRecorder): Registry {
  const registry = new Registry();

  new Counter({
    name: "mesh_calls_total",
    help: "Calls made through this node, by capability and outcome (ok or the error code).",
    labelNames: ["capability", "outcome"],
    registers: [registry],
    collect() {
      this.reset();
      for (const slot of recorder.slots()) {
        if (slot.ok > 0) this.inc({ capability: slot.capability, outcome: "ok" }, slot.ok);
        for (const [code, n] of slot.failed) this.inc({ capability: slot.capability, outcome: code }, n);
      }
    },
  });
  registry.registerMetric(durationHistogram(recorder));
  new Gauge({
    name: "mesh_actors_active",
    help: "Actors active on this node, by the capability that placed them.",
    labelNames: ["capability"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [capability, n] of Object.entries(source.stats().actorsByCapability)) this.set({ capability }, n);
    },
  });
  new Gauge({
    name: "mesh_members",
    help: "Members this node knows of, by state (itself included).",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
      for (const member of source.members()) counts[member.state] = (counts[member.state] ?? 0) + 1;
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Counter({
    name: "mesh_gossip_packets_dropped_total",
    help: "Gossip input this node dropped, by reason.",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(source.stats().gossipDropped)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: "mesh_rebalance_moves_total",
    help: "Shards whose owner changed in this node's view.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(source.stats().rebalanceMoves);
    },
  });
  new Counter({
    name: "mesh_handoffs_total",
    help: "Actor handoffs: sent to a new owner, received from an old one, or given up waiting for (timeout).",
    labelNames: ["outcome"],
    registers: [registry],
    collect() {
      this.reset();
      const stats = source.stats();
      this.inc({ outcome: "sent" }, stats.handoffsSent);
      this.inc({ outcome: "received" }, stats.handoffsReceived);
      this.inc({ outcome: "timeout" }, stats.handoffTimeouts);
    },
  });
  return Registry.merge([processMetrics(), registry]);
}

interface HistogramValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * prom-client's Histogram can only observe one value at a time; the recorder
 * already holds the bucket counts, so this metric hands them to the registry as
 * they are, in the shape a Histogram's `get()` returns.
 */
function durationHistogram(recorder: CallRecorder): Metric {
  const name = "mesh_call_duration_seconds";
  const help = "Duration of calls made through this node, by capability and location (local or remote owner).";
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get() {
      const values: HistogramValue[] = [];
      for (const slot of recorder.slots()) {
        for (const location of [LOCAL, REMOTE] as const) {
          const buckets = slot.buckets[location];
          const labels = { capability: slot.capability, location: LOCATIONS[location] };
          let cumulative = 0;
          buckets.forEach((count, i) => {
            cumulative += count;
            const le = i < CALL_DURATION_BUCKETS.length ? (CALL_DURATION_BUCKETS[i] as number) : "+Inf";
            values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
          });
          if (cumulative === 0) {
            values.length -= buckets.length; // no call at this location: no series
            continue;
          }
          values.push({ metricName: `${name}_sum`, labels, value: (slot.sumMs[location] as number) / 1000 });
          values.push({ metricName: `${name}_count`, labels, value: cumulative });
        }
      }
      return Promise.resolve({ name, help, type: "histogram", values, aggregator: "sum" });
    },
  };
  return metric as unknown as Metric;
}
