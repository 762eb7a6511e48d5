import type { ActorRuntime, CallResult } from "@mesh/actors";
import type { EventEmitter } from "eventemitter3";
import { type ClusterLink, callAddressOf, type MembershipListener } from "./cluster-link.js";
import type { MeshNodeEvents } from "./events.js";
import type { Handoffs } from "./handoffs.js";
import type { Placements } from "./placements.js";
import type { Routing } from "./routing.js";

type NodeEmitter = EventEmitter<MeshNodeEvents> & { readonly name: string };

/** Membership events into the node: handoffs forget the gone, the tables rebuild, the events go out. */
export function membershipWiring(
  node: NodeEmitter,
  link: ClusterLink,
  handoffs: Handoffs,
  queueRebuild: () => void,
): MembershipListener {
  return {
    member: (event, member) => {
      if (event === "member:dead" || event === "member:left") handoffs.senderGone(member.name);
      // A dead member's calls in flight fail now (retryable); one that left finishes its calls and closes.
      const address = event === "member:dead" ? callAddressOf(member) : undefined;
      if (address !== undefined && member.name !== node.name) link.calls.closePeer(address, `${member.name} is dead`);
      // Back from suspect: its call connection may be stuck in TCP backoff from the partition.
      const back = event === "member:alive" ? callAddressOf(member) : undefined;
      if (back !== undefined && member.name !== node.name) link.calls.resetPeer(back);
      node.emit(event, member);
      queueRebuild();
    },
    capabilities: ({ name, capabilities, previous }) => {
      if (name === node.name) return; // this node's own change was announced when it was made
      const added = capabilities.filter((c) => !previous.includes(c));
      const removed = previous.filter((c) => !capabilities.includes(c));
      node.emit("capabilities:changed", { node: name, capabilities, added, removed });
      queueRebuild();
    },
    discoveryFailed: (error) => node.emit("discovery:failed", error),
  };
}

/** The runtime's actor events as node events, with the pid; placements forget deactivated actors. */
export function forwardRuntimeEvents(
  node: NodeEmitter,
  runtime: ActorRuntime,
  placements: Placements,
  routing: Routing,
): void {
  const pid = (module: string, id: string): CallResult["pid"] => ({
    node: node.name,
    module,
    id,
    shard: routing.shardOf(id),
  });
  // Activation is a hot path: build the event (and hash its shard) only for a listener.
  runtime.on("actor:activated", (e) => {
    if (node.listenerCount("actor:activated") > 0) node.emit("actor:activated", { pid: pid(e.module, e.id) });
  });
  runtime.on("actor:deactivated", (e) => {
    placements.forget(e.module, e.id);
    if (node.listenerCount("actor:deactivated") > 0) {
      node.emit("actor:deactivated", { pid: pid(e.module, e.id), reason: e.reason });
    }
  });
  runtime.on("actor:failed", (e) => node.emit("actor:failed", { pid: pid(e.module, e.id), error: e.error }));
}
