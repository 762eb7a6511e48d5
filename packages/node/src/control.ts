import { invalidArgument, MeshError } from "@mesh/interface";
import type { IncomingCall, OutgoingCall } from "./call-transport/index.js";

/**
 * The handoff's messages on the wire. They ride the call transport as calls to
 * reserved module names, so they share its connections, ordering, encryption
 * and flow control; this file is the only place that knows those names: the
 * node sends and receives the typed messages below. User modules may not use
 * the prefix.
 */
const CONTROL_PREFIX = "$mesh:";
const HANDOFF = "$mesh:handoff";
const HANDOFF_DONE = "$mesh:handoff-done";
/** A cast that the owner acknowledges once queued (or refuses, e.g. for an unknown module). */
const CAST = "$mesh:cast";

/** An actor's state, sent by its previous owner: restore it here. */
export interface ActorHandoff {
  readonly kind: "actor";
  readonly module: string;
  readonly id: string;
  readonly capability: string;
  readonly state: unknown;
  readonly from: string;
}

/** The sender has handed off everything it had on these shards of `capability`. */
export interface HandoffDone {
  readonly kind: "done";
  readonly capability: string;
  readonly shards: readonly number[];
  readonly from: string;
}

export type HandoffMessage = ActorHandoff | HandoffDone;

/** The receiving side of a handoff. */
export interface HandoffReceiver {
  receive(message: HandoffMessage): Promise<void>;
}

/** A cast to `message.module`, carried as a call so the sender learns it was accepted. */
export function encodeCast(message: OutgoingCall, timeoutMs: number): OutgoingCall {
  return { ...message, module: CAST, payload: [message.module, message.payload], timeoutMs };
}

/** The cast inside a control call, or undefined when the call is not one. */
export function decodeCast(call: IncomingCall): { module: string; payload: unknown } | undefined {
  if (call.module !== CAST) return undefined;
  const payload = call.payload;
  if (Array.isArray(payload) && payload.length === 2 && typeof payload[0] === "string") {
    return { module: payload[0], payload: payload[1] };
  }
  throw invalidArgument("cast", "[module, payload]", payload);
}

export function isControl(module: string): boolean {
  return module.startsWith(CONTROL_PREFIX);
}

export function checkUserModule(property: string, module: string): void {
  if (isControl(module)) throw invalidArgument(property, `a module name not starting with "${CONTROL_PREFIX}"`, module);
}

export function encodeHandoff(message: HandoffMessage, timeoutMs: number): OutgoingCall {
  if (message.kind === "actor") {
    return {
      module: HANDOFF,
      id: message.id,
      capability: message.capability,
      payload: [message.module, message.state, message.from],
      timeoutMs,
    };
  }
  return {
    module: HANDOFF_DONE,
    id: HANDOFF_DONE,
    capability: message.capability,
    payload: [message.shards, message.from],
    timeoutMs,
  };
}

/** The typed message of a control call; MESH_ERR_INVALID_ARGUMENT or MESH_ERR_UNKNOWN_MODULE when malformed. */
export function decodeHandoff(call: IncomingCall): HandoffMessage {
  const payload = call.payload;
  if (call.module === HANDOFF) {
    if (Array.isArray(payload) && payload.length === 3) {
      const [module, state, from] = payload as [unknown, unknown, unknown];
      if (typeof module === "string" && typeof from === "string") {
        return { kind: "actor", module, id: call.id, capability: call.capability, state, from };
      }
    }
    throw invalidArgument("handoff", "[module, state, from]", payload);
  }
  if (call.module === HANDOFF_DONE) {
    if (Array.isArray(payload) && payload.length === 2) {
      const [shards, from] = payload as [unknown, unknown];
      if (Array.isArray(shards) && typeof from === "string" && shards.every((s) => Number.isInteger(s) && s >= 0)) {
        return { kind: "done", capability: call.capability, shards: shards as number[], from };
      }
    }
    throw invalidArgument("handoff-done", "[shards, from]", payload);
  }
  throw new MeshError("MESH_ERR_UNKNOWN_MODULE", `unknown control message ${call.module}`);
}
