import type net from "node:net";
import type { Clock, Logger } from "@mesh/interface";
import { FrameReader, frameHeader } from "./frame-reader.js";
import { type Address, countDrop, type StreamHandler, StreamRefusedError, type TransportStats } from "./transport.js";

export interface StreamServerContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly stats: TransportStats;
  readonly maxFrameBytes: number;
  readonly idleTimeoutMs: number;
  readonly maxInboundStreams: number;
  /** Open inbound connections, so stop() can end them and the limit can be enforced. */
  readonly open: Set<net.Socket>;
  readonly handler: () => StreamHandler | undefined;
}

/**
 * Serves one inbound connection: read exactly one request frame (within
 * `idleTimeoutMs`), answer it with one response frame, close. Anything else —
 * an oversize prefix, bytes after the request, a handler that throws, a peer
 * that goes silent — closes this connection only, and is counted.
 */
export function serveStream(context: StreamServerContext, socket: net.Socket): void {
  const { stats, clock } = context;
  socket.on("error", () => {
    // Resets and broken pipes are the peer's business; the socket is closed below.
  });
  if (context.open.size >= context.maxInboundStreams) {
    countDrop(stats, "stream-limit");
    socket.destroy();
    return;
  }
  context.open.add(socket);
  stats.streamsAccepted++;
  socket.setNoDelay(true);

  const from: Address = { host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
  const reader = new FrameReader(context.maxFrameBytes);
  let request: Uint8Array | undefined;
  let done = false;

  const close = (dropReason?: string): void => {
    if (done) return;
    done = true;
    clock.clearTimeout(idle);
    if (dropReason !== undefined) countDrop(stats, dropReason);
    socket.destroy();
  };
  const idle = clock.setTimeout(() => close("stream-idle"), context.idleTimeoutMs);

  socket.on("close", () => {
    context.open.delete(socket);
    close();
  });
  socket.on("data", (chunk: Buffer) => {
    stats.bytesReceived += chunk.length;
    if (request !== undefined) {
      close("malformed"); // one request per connection: more bytes break the protocol
      return;
    }
    const state = reader.push(chunk);
    if (state === "oversize") {
      close("oversize");
      return;
    }
    if (state === "more") return;
    request = reader.next() as Uint8Array;
    if (reader.partial || reader.next() !== undefined) {
      close("malformed");
      return;
    }
    clock.clearTimeout(idle);
    void answer(request);
  });

  const answer = async (payload: Uint8Array): Promise<void> => {
    const handler = context.handler();
    let response: Uint8Array;
    try {
      if (handler === undefined) throw new Error("no stream handler installed");
      response = await handler(payload, from);
    } catch (error) {
      if (error instanceof StreamRefusedError) {
        close(); // already counted by the layer that refused it
        return;
      }
      context.logger.debug("stream handler failed", { error: String(error), from: `${from.host}:${from.port}` });
      close("handler-error");
      return;
    }
    if (done) return; // the peer went away or stop() ran while the handler worked
    if (!(response instanceof Uint8Array)) {
      close("handler-error");
      return;
    }
    if (response.length > context.maxFrameBytes) {
      close("send-oversize");
      return;
    }
    socket.cork();
    socket.write(frameHeader(response.length));
    socket.write(response);
    socket.uncork();
    stats.bytesSent += response.length + 4;
    done = true;
    socket.end(); // stays in `open` until closed, so stop() can still destroy it
  };
}
