/** The test's handle on the intruder process (intruder.ts), started on a lab host. */
import { fileURLToPath } from "node:url";
import type { ClusterProcess } from "../../../scripts/dist/cluster-process.js";
import type { Command } from "../../../scripts/dist/cluster-protocol.js";
import type { HostCluster } from "./host-cluster.js";
import type {
  DirectCallResult,
  FloodResult,
  GarbageResult,
  IntruderCommand,
  ReleaseResult,
} from "./intruder-protocol.js";

const INTRUDER_ENTRY = fileURLToPath(new URL("./intruder.js", import.meta.url));

export class Intruder {
  readonly #proc: ClusterProcess;

  private constructor(proc: ClusterProcess) {
    this.#proc = proc;
  }

  /** Starts the intruder on host `hostName` of the cluster's lab. */
  static async start(cluster: HostCluster, hostName: string): Promise<Intruder> {
    const proc = await cluster.startStranger({ name: "intruder", capabilities: [] }, hostName, {
      entry: INTRUDER_ENTRY,
    });
    return new Intruder(proc);
  }

  get pid(): number {
    return this.#proc.pid;
  }

  #request<T>(command: IntruderCommand, timeoutMs = 120_000): Promise<T> {
    // The envelope is the cluster child's; the commands are the intruder's own.
    return this.#proc.request(command as unknown as Command, timeoutMs) as Promise<T>;
  }

  flood(command: Omit<Extract<IntruderCommand, { op: "flood" }>, "op">): Promise<FloodResult> {
    return this.#request({ op: "flood", ...command });
  }

  garbage(command: Omit<Extract<IntruderCommand, { op: "garbage" }>, "op">): Promise<GarbageResult> {
    return this.#request({ op: "garbage", ...command });
  }

  release(): Promise<ReleaseResult> {
    return this.#request({ op: "release" });
  }

  fakes(seeds: readonly string[], count: number, capability: string): Promise<number> {
    return this.#request({ op: "fakes", seeds, count, capability });
  }

  directCall(command: Omit<Extract<IntruderCommand, { op: "directCall" }>, "op">): Promise<DirectCallResult> {
    return this.#request({ op: "directCall", ...command });
  }
}
