/**
 * Child process of call-transport.bench.ts: a CallServer on 127.0.0.1 whose
 * handler answers every call at once with its payload (the same echo as the
 * baseline server). Prints `{"port":N}` on stdout once listening.
 *
 * Usage: node call-transport-server.js [microtask|immediate]
 */
import { CallServer } from "@mesh/node/transport";

const flushMode = process.argv[2] === "immediate" ? "immediate" : "microtask";
const server = new CallServer(
  {
    onCall: (call) => Promise.resolve(call.payload),
    onCast: () => {},
  },
  { host: "127.0.0.1", port: 0, flushMode },
);
await server.start();
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop().then(() => process.exit(0));
});
