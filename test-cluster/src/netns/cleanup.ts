/**
 * Everything the host lab creates is registered here with a synchronous way to
 * remove it, and removed on the first of: an explicit cleanup, the process exiting
 * (a failed assertion, a test timeout that ends the file), SIGINT (Ctrl-C), SIGTERM
 * or SIGHUP. Namespace names carry the owner's PID, so what a crashed run (SIGKILL)
 * left behind is found and removed by `pnpm hosts:clean` (leftovers.ts).
 */
import { runQuietSync } from "./shell.js";

type Undo = () => void;

const registry = new Map<string, Undo>();
let hooked = false;

function cleanAll(): void {
  // Newest first: processes inside a namespace before the namespace, hosts before the switch.
  for (const key of [...registry.keys()].reverse()) undoNow(key);
}

function undoNow(key: string): void {
  const undo = registry.get(key);
  registry.delete(key);
  try {
    undo?.();
  } catch {
    // Best effort: the leftover cleaner catches what this misses.
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", cleanAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      cleanAll();
      process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
    });
  }
}

/** Registers `undo` under `key` (replacing an earlier one); it runs once, whatever ends the process. */
export function register(key: string, undo: Undo): void {
  hook();
  registry.set(key, undo);
}

/** Forgets the undo registered under `key` without running it (what it undoes was never made). */
export function forget(key: string): void {
  registry.delete(key);
}

/** Runs and forgets the undo registered under `key`, if any. */
export function release(key: string): void {
  undoNow(key);
}

/** Kills (SIGKILL, by PID) every process inside `ns`, then deletes the namespace. */
export function deleteNamespaceSync(ns: string): void {
  const pids = runQuietSync("ip", ["netns", "pids", ns])
    .split("\n")
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => Number.isInteger(pid) && pid > 1 && pid !== process.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  runQuietSync("ip", ["netns", "del", ns]);
}
