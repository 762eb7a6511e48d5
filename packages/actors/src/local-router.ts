import { type Clock, invalidArgument, MeshError } from "@mesh/interface";
import type { ActorClass } from "./actor.js";
import { unknownModule } from "./actor-errors.js";
import type { ActorRequest, ActorRouter, CallResult } from "./router.js";

/** The part of an ActorRuntime the local router needs (an interface, to keep the import graph acyclic). */
export interface LocalRouterTarget {
  readonly nodeName: string;
  resolveModule(module: string | ActorClass): string | undefined;
  call(
    module: string,
    id: string,
    payload: unknown,
    options?: { initArg?: unknown; chain?: readonly string[]; signal?: AbortSignal },
  ): Promise<unknown>;
  cast(
    module: string,
    id: string,
    payload: unknown,
    options?: { initArg?: unknown; signal?: AbortSignal },
  ): void | Promise<void>;
}

/**
 * The router a runtime uses until `setRouter` gives it another: every request
 * goes to this same runtime (the capability is not consulted). It honours
 * `timeoutMs` with the runtime's clock and `signal` through the runtime.
 */
export function localRouter(target: LocalRouterTarget, clock: Clock): ActorRouter {
  return {
    async call(request: ActorRequest, chain: readonly string[]): Promise<CallResult> {
      const module = resolve(target, request);
      const timeoutMs = request.timeoutMs;
      if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs > 0))) {
        throw invalidArgument("request.timeoutMs", "a number of milliseconds > 0", timeoutMs);
      }
      const reply = target.call(module, request.id, request.payload, {
        initArg: request.initArg,
        chain,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      const response =
        timeoutMs === undefined ? await reply : await deadline(clock, reply, timeoutMs, module, request.id);
      return { pid: { node: target.nodeName, module, id: request.id }, response };
    },
    async cast(request: ActorRequest): Promise<void> {
      const module = resolve(target, request);
      await target.cast(module, request.id, request.payload, {
        initArg: request.initArg,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
    },
  };
}

function resolve(target: LocalRouterTarget, request: ActorRequest): string {
  if (typeof request !== "object" || request === null) throw invalidArgument("request", "an object", request);
  if (typeof request.id !== "string") throw invalidArgument("request.id", "a string", request.id);
  const module = request.module;
  if (typeof module !== "string" && typeof module !== "function") {
    throw invalidArgument("request.module", "a module name or an actor class", module);
  }
  const name = target.resolveModule(module);
  if (name === undefined) throw unknownModule(typeof module === "string" ? module : module.name, target.nodeName);
  return name;
}

/** `work`, or MESH_ERR_TIMEOUT if it has not settled after `timeoutMs` on `clock`. */
function deadline<T>(clock: Clock, work: Promise<T>, timeoutMs: number, module: string, id: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      reject(
        new MeshError("MESH_ERR_TIMEOUT", `no reply from ${module}/${id} within ${timeoutMs} ms`, {
          details: { module, id, timeoutMs },
        }),
      );
    }, timeoutMs);
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
