/** `pnpm hosts:clean [--all]`: see leftovers.ts. */
import { removeLeftovers } from "./leftovers.js";

const removed = removeLeftovers(process.argv.includes("--all"));
console.log(removed.length === 0 ? "no leftover lab namespaces" : `removed ${removed.join(", ")}`);
