/**
 * @packageDocumentation
 * The admin endpoint of a Mesh node: Prometheus metrics (prom-client, a registry
 * of its own), Kubernetes probes, the cluster and placement-explain APIs, a call
 * API for the `mesh` CLI, and a live dashboard. It reads the node through the
 * {@link AdminSource} interface only.
 */

export { type AdminComponents, type AdminInit, AdminServer, DEFAULT_ADMIN_PORT } from "./admin-server.js";
export type {
  AdminCallRequest,
  AdminEvent,
  AdminMember,
  AdminSource,
  AdminStats,
  Explanation,
  PlacementCandidateScore,
  Readiness,
  ShardOwnership,
} from "./admin-source.js";
export { createMeshRegistry } from "./call-metrics.js";
export {
  CALL_DURATION_BUCKETS,
  type CallLocation,
  CallRecorder,
  LOCAL,
  MAX_RECORDED_CAPABILITIES,
  OVERFLOW_CAPABILITY,
  REMOTE,
} from "./call-recorder.js";
export type { CapabilityView, ClusterView, ExplainView, LocalReport, NodeReport } from "./cluster-view.js";
export { isLoopbackHost } from "./http-util.js";
