import net from "node:net";
import { abortedError, type Clock, MeshError } from "@mesh/interface";
import { FrameReader, frameHeader } from "./frame-reader.js";
import { type Address, addressKey, countDrop, type StreamRequestOptions, type TransportStats } from "./transport.js";

export interface StreamClientContext {
  readonly clock: Clock;
  readonly stats: TransportStats;
  readonly maxFrameBytes: number;
  /** Open outbound exchanges, so stop() can fail them (with MESH_ERR_NODE_STOPPED). */
  readonly open: Map<net.Socket, (error: MeshError) => void>;
}

/**
 * One request over one fresh TCP connection: connect, write one frame, read one
 * frame, close. No pooling: the stream path carries push-pull and metadata
 * fetches, a few per second per member at most, so a connection per exchange
 * (as memberlist does) costs little and leaves no state to go stale; it also
 * makes each exchange its own connection for the secure layer's binding.
 */
export function streamRequest(
  context: StreamClientContext,
  to: Address,
  payload: Uint8Array,
  options: StreamRequestOptions,
): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const { clock, stats } = context;
    const signal = options.signal;
    const reader = new FrameReader(context.maxFrameBytes);
    let settled = false;

    const socket = net.connect({ host: to.host, port: to.port, noDelay: true });
    context.open.set(socket, (error) => finish(error));
    stats.streamsOpened++;

    const finish = (error: MeshError | undefined, response?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      context.open.delete(socket);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(response as Uint8Array);
    };
    const unreachable = (why: string, cause?: unknown): MeshError =>
      new MeshError("MESH_ERR_NODE_UNREACHABLE", `stream to ${addressKey(to)} failed: ${why}`, {
        cause,
        details: { address: addressKey(to) },
      });
    const onAbort = (): void => finish(abortedError(signal as AbortSignal));
    const timer = clock.setTimeout(
      () =>
        finish(
          new MeshError("MESH_ERR_TIMEOUT", `no response from ${addressKey(to)} within ${options.timeoutMs} ms`, {
            details: { address: addressKey(to), timeoutMs: options.timeoutMs },
          }),
        ),
      options.timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });

    socket.on("connect", () => {
      socket.cork();
      socket.write(frameHeader(payload.length));
      socket.write(payload);
      socket.uncork();
      stats.bytesSent += payload.length + 4;
    });
    socket.on("data", (chunk: Buffer) => {
      stats.bytesReceived += chunk.length;
      const state = reader.push(chunk);
      if (state === "oversize") {
        countDrop(stats, "oversize");
        finish(unreachable("response frame above the size limit"));
      } else if (state === "frame") {
        finish(undefined, reader.next());
      }
    });
    socket.on("error", (error) => finish(unreachable((error as NodeJS.ErrnoException).code ?? error.message, error)));
    socket.on("close", () => finish(unreachable("connection closed before a response")));
  });
}
