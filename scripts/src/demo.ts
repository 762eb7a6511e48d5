/**
 * The single-node demo: one node hosting game, chat and payment actors. It activates
 * actors on every capability, calls them, and prints where each one lives and what
 * it answered. Run it with `pnpm demo`.
 */
import { type ActorContext, createNode } from "@mesh/node";

class GameActor {
  readonly #id: string;
  #score = 0;
  constructor(id: string) {
    this.#id = id;
  }
  handleCall(payload: unknown): unknown {
    this.#score += typeof payload === "number" ? payload : 1;
    return { player: this.#id, score: this.#score };
  }
}

class ChatActor {
  readonly #messages: string[] = [];
  handleCall(payload: unknown, ctx: ActorContext): unknown {
    this.#messages.push(String(payload));
    return { room: ctx.id, messages: this.#messages.length };
  }
}

class PaymentActor {
  #balance: number;
  constructor(_id: string, initArg?: unknown) {
    this.#balance = typeof initArg === "number" ? initArg : 0;
  }
  handleCall(payload: unknown): unknown {
    const amount = typeof payload === "number" ? payload : 0;
    if (amount > this.#balance) throw new Error(`insufficient funds: balance ${this.#balance}, asked ${amount}`);
    this.#balance -= amount;
    return { balance: this.#balance };
  }
}

const node = await createNode({
  name: "node1",
  capabilities: ["game", "chat", "payment"],
  actors: { GameActor, ChatActor, PaymentActor },
});

console.log(`node ${node.name} hosts: ${node.allCapabilities().join(", ")}`);
const requests = [
  { module: "GameActor", id: "player_1", payload: 10, capability: "game" },
  { module: "GameActor", id: "player_2", payload: 5, capability: "game" },
  { module: "GameActor", id: "player_1", payload: 7, capability: "game" },
  { module: "ChatActor", id: "room_1", payload: "hello", capability: "chat" },
  { module: "ChatActor", id: "room_1", payload: "world", capability: "chat" },
  { module: "PaymentActor", id: "wallet_1", payload: 30, capability: "payment", initArg: 100 },
  { module: "PaymentActor", id: "wallet_1", payload: 500, capability: "payment" },
];
for (const request of requests) {
  const shard = node.shardFor(request.id);
  try {
    const { pid, response } = await node.call(request);
    console.log(
      `${request.capability.padEnd(8)} ${pid.module}/${pid.id} shard ${shard} -> ${pid.node}: ${JSON.stringify(response)}`,
    );
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    console.log(
      `${request.capability.padEnd(8)} ${request.module}/${request.id} shard ${shard} -> ${code}: ${message}`,
    );
  }
}
try {
  await node.call({ module: "GameActor", id: "x", capability: "video" });
} catch (error) {
  console.log(`video    GameActor/x -> ${(error as { code: string }).code}: ${(error as Error).message}`);
}
console.log(`stats: ${JSON.stringify(node.stats().actors)}`);
await node.stop();
