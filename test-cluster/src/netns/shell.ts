/**
 * Runs the system tools the host lab needs (`ip`, `nft`), each with a deadline, and
 * throws with the tool's own message when one fails. The synchronous variant is for
 * exit hooks, where nothing asynchronous runs any more.
 */
import { execFile, spawnSync } from "node:child_process";

/** The longest one `ip` or `nft` command may take, in ms. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** Runs `file args…` (with `input` on stdin); resolves with stdout, rejects with stderr. */
export function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`${file} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs a command synchronously and ignores its failure (cleanup of what may already be gone). */
export function runQuietSync(file: string, args: readonly string[]): string {
  const result = spawnSync(file, [...args], { timeout: COMMAND_TIMEOUT_MS, encoding: "utf8" });
  return result.status === 0 ? result.stdout : "";
}

/** Runs `command` inside network namespace `ns`. */
export function inNamespace(ns: string, file: string, args: readonly string[], input?: string): Promise<string> {
  return run("ip", ["netns", "exec", ns, file, ...args], input);
}
