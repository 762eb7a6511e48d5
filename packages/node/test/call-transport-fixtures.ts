import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import type { CallHandler, FrameCipher, IncomingCall, IncomingCast } from "../src/call-transport/index.js";
import {
  CallClient,
  type CallClientComponents,
  type CallClientInit,
  CallServer,
  type CallServerInit,
  type CallTransportComponents,
} from "../src/call-transport/index.js";

/**
 * AES-256-GCM per frame: a fresh 12-byte IV, then the ciphertext, then the
 * 16-byte tag. Only for tests — the node adapts the gossip keyring instead.
 */
export function aesGcmCipher(key: Buffer): FrameCipher {
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]);
    },
    open(sealed) {
      if (sealed.length < 28) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
        decipher.setAuthTag(sealed.subarray(sealed.length - 16));
        return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
      } catch {
        return undefined;
      }
    },
  };
}

/** A handler that keeps every call until the test answers it. */
export class HeldCalls implements CallHandler {
  readonly calls: { call: IncomingCall; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  readonly casts: IncomingCast[] = [];

  onCall(call: IncomingCall): Promise<unknown> {
    return new Promise((resolve, reject) => this.calls.push({ call, resolve, reject }));
  }

  onCast(cast: IncomingCast): void {
    this.casts.push(cast);
  }

  /** Answers every held call with its own payload. */
  echoAll(): void {
    for (const held of this.calls.splice(0)) held.resolve(held.call.payload);
  }
}

/** Answers every call with `{ echo: payload }` at once. */
export const echoHandler: CallHandler = {
  onCall: async (call) => ({ echo: call.payload }),
  onCast: () => {},
};

export const LOOPBACK = "127.0.0.1";

export async function startServer(
  t: TestContext,
  handler: CallHandler,
  init: CallServerInit = {},
  components: CallTransportComponents = {},
): Promise<CallServer & { address: string }> {
  const server = new CallServer(handler, { host: LOOPBACK, ...init }, components);
  await server.start();
  t.after(() => server.stop());
  return server as CallServer & { address: string };
}

export async function startClient(
  t: TestContext,
  init: CallClientInit = {},
  components: CallClientComponents = {},
): Promise<CallClient> {
  const client = new CallClient(init, components);
  await client.start();
  t.after(() => client.stop());
  return client;
}

/** A minimal request: only the payload varies in most tests. */
export function request(payload: unknown, extra: object = {}) {
  return { module: "Echo", id: "a1", capability: "echo", payload, ...extra };
}

/** The settled outcome of a promise, to assert on codes without try/catch noise. */
export async function outcome(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}
