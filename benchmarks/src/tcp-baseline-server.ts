/**
 * Child process of the TCP baseline (tcp-baseline.ts): a raw Node.js TCP echo
 * server with length-prefixed msgpackr frames `[rid, payload]`, replies batched
 * per tick into one write. No Mesh code: this is the physical limit Mesh is
 * measured against. Prints `{"port":N}` on stdout once listening on 127.0.0.1.
 *
 * Usage: node tcp-baseline-server.js [microtask|immediate]
 */
import { createServer } from "node:net";
import { Packr, RESERVE_START_SPACE, Unpackr } from "msgpackr";

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false });
const flushOnImmediate = process.argv[2] === "immediate";

const server = createServer({ noDelay: true }, (socket) => {
  let out: Buffer[] = [];
  let outBytes = 0;
  let scheduled = false;
  let held: Buffer | undefined;
  const flush = (): void => {
    scheduled = false;
    const chunk = out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, outBytes);
    out = [];
    outBytes = 0;
    socket.write(chunk);
  };
  socket.on("data", (chunk: Buffer) => {
    const buf = held === undefined ? chunk : Buffer.concat([held, chunk]);
    held = undefined;
    let offset = 0;
    while (buf.length - offset >= 4) {
      const length = buf.readUInt32BE(offset);
      if (buf.length - offset - 4 < length) break;
      const [rid, payload] = unpackr.unpack(buf.subarray(offset + 4, offset + 4 + length)) as [number, unknown];
      offset += 4 + length;
      const frame = packr.pack([rid, payload], RESERVE_START_SPACE | 4);
      frame.writeUInt32BE(frame.length - 4, 0);
      out.push(frame);
      outBytes += frame.length;
    }
    if (offset < buf.length) held = Buffer.from(buf.subarray(offset));
    if (out.length > 0 && !scheduled) {
      scheduled = true;
      if (flushOnImmediate) setImmediate(flush);
      else queueMicrotask(flush);
    }
  });
  socket.on("error", () => socket.destroy());
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === "object" && address !== null ? address.port : 0 })}\n`,
  );
});
process.on("SIGTERM", () => process.exit(0));
