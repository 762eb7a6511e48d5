import type { ErrorCode } from "@mesh/interface";
import { isMeshError, type LogFields, type Logger } from "@mesh/interface";
import { FakeClock } from "@mesh/testing";
import {
  type ActorRequest,
  type ActorRouter,
  ActorRuntime,
  type ActorRuntimeInit,
  type CallResult,
} from "../src/index.js";

/** A promise with its resolve/reject exposed, to hold an async handler mid-turn. */
export interface Deferred<T = unknown> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise reaction run (not a sleep: no time passes on any clock). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An assert.rejects/throws matcher for a MeshError code. */
export function code(expected: ErrorCode): (error: unknown) => boolean {
  return (error: unknown) => {
    if (isMeshError(error, expected)) return true;
    throw new Error(`expected ${expected}, got ${String(error)} (${(error as { code?: string })?.code})`);
  };
}

/** The promise's outcome so far, without waiting: "pending", or the value / error. */
export function track<T>(promise: Promise<T>): {
  state: "pending" | "fulfilled" | "rejected";
  value?: T;
  error?: unknown;
} {
  const result: { state: "pending" | "fulfilled" | "rejected"; value?: T; error?: unknown } = { state: "pending" };
  promise.then(
    (value) => {
      result.state = "fulfilled";
      result.value = value;
    },
    (error: unknown) => {
      result.state = "rejected";
      result.error = error;
    },
  );
  return result;
}

export class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields?: LogFields }[] = [];
  debug(message: string, fields?: LogFields): void {
    this.lines.push({ level: "debug", message, ...(fields === undefined ? {} : { fields }) });
  }
  info(message: string, fields?: LogFields): void {
    this.lines.push({ level: "info", message, ...(fields === undefined ? {} : { fields }) });
  }
  warn(message: string, fields?: LogFields): void {
    this.lines.push({ level: "warn", message, ...(fields === undefined ? {} : { fields }) });
  }
  error(message: string, fields?: LogFields): void {
    this.lines.push({ level: "error", message, ...(fields === undefined ? {} : { fields }) });
  }
}

/**
 * A router standing in for the node's: it sends every request to one runtime,
 * passing the chain along as a remote node would, and counts what it routed.
 */
export class LoopbackRouter implements ActorRouter {
  runtime: ActorRuntime | undefined;
  readonly chains: (readonly string[])[] = [];

  async call(request: ActorRequest, chain: readonly string[]): Promise<CallResult> {
    this.chains.push(chain);
    const runtime = this.runtime as ActorRuntime;
    const module = runtime.resolveModule(request.module) as string;
    const response = await runtime.call(module, request.id, request.payload, { initArg: request.initArg, chain });
    return { pid: { node: runtime.nodeName, module, id: request.id }, response };
  }

  async cast(request: ActorRequest, chain: readonly string[]): Promise<void> {
    this.chains.push(chain);
    const runtime = this.runtime as ActorRuntime;
    runtime.cast(runtime.resolveModule(request.module) as string, request.id, request.payload, { chain });
  }
}

/** A runtime on a FakeClock with a loopback router and a recording logger. */
export function testRuntime(init: ActorRuntimeInit = {}): {
  runtime: ActorRuntime;
  clock: FakeClock;
  router: LoopbackRouter;
  logger: RecordingLogger;
} {
  const clock = new FakeClock();
  const router = new LoopbackRouter();
  const logger = new RecordingLogger();
  const runtime = new ActorRuntime(init, { clock, router, logger, nodeName: "n1" });
  router.runtime = runtime;
  return { runtime, clock, router, logger };
}
