/**
 * What the host-lab tests need: root (network namespaces, veth, nftables) and the
 * `ip` and `nft` tools. Without them a test skips with the reason, and fails under
 * MESH_REQUIRE_ALL=1 (CI).
 */
import { hasCommand, isRoot, skipUnless } from "@mesh/testing";

/** `false` to run, or why the host-lab tests skip here (throws under MESH_REQUIRE_ALL=1). */
export function hostLabSkip(): false | string {
  const missing = [
    ...(isRoot() ? [] : ["root"]),
    ...(hasCommand("ip") ? [] : ["ip (iproute2)"]),
    ...(hasCommand("nft") ? [] : ["nft (nftables)"]),
  ];
  return skipUnless(missing.length === 0, `the host lab needs ${missing.join(", ")}`);
}

/** Whether the full scenarios (long runs, 1,000,000 calls) are asked for: MESH_HOSTS_FULL=1. */
export function fullRun(): boolean {
  return process.env.MESH_HOSTS_FULL === "1";
}

/**
 * For the scenarios that only the full run has (5 to 8): run them in a full run, or
 * in short form with MESH_HOSTS_QUICK=1 (to work on the harness); skip them otherwise.
 */
export function fullRunSkip(): false | string {
  if (!fullRun() && process.env.MESH_HOSTS_QUICK !== "1") return "full run only (pnpm test:hosts:full)";
  return hostLabSkip();
}

/** `figure` in a full run, `short` otherwise. */
export function scale<T>(short: T, full: T): T {
  return fullRun() ? full : short;
}
