/**
 * `pnpm hosts:clean`: removes the namespaces a host-lab run left behind when it was
 * killed too hard for its own cleanup (SIGKILL, a crashed machine). A lab's names
 * carry its owner's PID (`mtc-<octet>-<pid>-<role>`); only labs whose owner is gone
 * are removed, so a run in progress is left alone — unless `--all` is given.
 * Processes still inside a namespace are SIGKILLed by PID first.
 */
import { readdirSync } from "node:fs";
import { deleteNamespaceSync } from "./cleanup.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lab namespaces whose owner is gone (all lab namespaces with `all`). */
export function leftoverNamespaces(all = false): string[] {
  let names: string[] = [];
  try {
    names = readdirSync("/run/netns");
  } catch {
    return [];
  }
  return names.filter((name) => {
    const match = /^mtc-\d+-(\d+)-(sw|h\d+)$/.exec(name);
    return match !== null && (all || !alive(Number(match[1])));
  });
}

/** Removes the leftovers; returns their names. */
export function removeLeftovers(all = false): string[] {
  const names = leftoverNamespaces(all);
  // Hosts before their switch.
  for (const name of names.sort((a, b) => Number(a.endsWith("-sw")) - Number(b.endsWith("-sw")))) {
    deleteNamespaceSync(name);
  }
  return names;
}
