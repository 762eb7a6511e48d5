/**
 * A Mesh node in its own process, for the cross-process benchmarks.
 * Args: <name> <capabilities, comma-separated> <seeds, comma-separated or "-">.
 * Prints {"port": <gossip port>} once started; stops gracefully on SIGTERM, and
 * exits if the parent goes away.
 */
import { createNode } from "@mesh/node";

/** Echoes the payload and counts its calls; the count moves with the actor on a rebalance. */
class BenchActor {
  count = 0;
  handleCall(payload: unknown): unknown {
    this.count++;
    return typeof payload === "object" ? payload : this.count;
  }
  snapshot(): number {
    return this.count;
  }
  restore(state: unknown): void {
    this.count = Number(state);
  }
}
/** Answers with its call count (for checking that no state is lost). */
class CounterActor extends BenchActor {
  override handleCall(): number {
    this.count++;
    return this.count;
  }
}

const [name = "child", capabilities = "", seeds = "-"] = process.argv.slice(2);
const node = await createNode({
  name,
  capabilities: capabilities === "" ? [] : capabilities.split(","),
  actors: { GameActor: BenchActor, CounterActor },
  host: "127.0.0.1",
  multicast: false,
  seeds: seeds === "-" ? [] : seeds.split(","),
  gossip: { preset: "local" },
  callTimeoutMs: 30_000,
});
const self = node.members().find((m) => m.name === name);
process.stdout.write(`${JSON.stringify({ port: self?.address.port })}\n`);

const stop = async (): Promise<void> => {
  await node.stop();
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
process.stdin.on("close", () => void stop());
