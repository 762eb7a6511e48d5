import { execFileSync } from "node:child_process";

/**
 * Tests that need root, network namespaces or an installed tool skip with a clear
 * reason on a developer machine — but CI sets MESH_REQUIRE_ALL=1, and there a
 * missing requirement fails the test instead of skipping it.
 */
export function requireAll(): boolean {
  return process.env.MESH_REQUIRE_ALL === "1";
}

/** Returns `false` (run the test) or a skip reason; throws under MESH_REQUIRE_ALL=1. */
export function skipUnless(ok: boolean, reason: string): false | string {
  if (ok) return false;
  if (requireAll()) throw new Error(`required by MESH_REQUIRE_ALL=1 but unavailable: ${reason}`);
  return reason;
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

export function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
