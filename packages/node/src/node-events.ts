import type { EventEmitter } from "eventemitter3";
import type { MeshNodeEvents } from "./events.js";

/** Where components report node events: the node itself (the façade is the emitter). */
export type NodeEventSink = Pick<EventEmitter<MeshNodeEvents>, "emit" | "listenerCount">;
