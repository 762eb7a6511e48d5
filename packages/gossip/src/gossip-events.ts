import type { MeshError } from "@mesh/interface";
import type { EventEmitter } from "eventemitter3";
import { isLive, type MemberRecord, type MemberView, sameCapabilities, toView } from "./members/member.js";
import type { MemberEventKind, PreviousFacts } from "./members/membership.js";

/** A member's capabilities as seen by live routing: empty once it is dead or has left. */
export interface CapabilitiesChange {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly previous: readonly string[];
}

export interface GossipEvents {
  "member:joined": (member: MemberView) => void;
  "member:suspect": (member: MemberView) => void;
  /** A suspect member refuted the suspicion. */
  "member:alive": (member: MemberView) => void;
  "member:dead": (member: MemberView) => void;
  "member:left": (member: MemberView) => void;
  /** Address or metadata changed (this member's own updates included). */
  "member:updated": (member: MemberView, previous: MemberView) => void;
  "capabilities:changed": (change: CapabilitiesChange) => void;
  /** A discovery strategy could not reach its source (MESH_ERR_DISCOVERY_FAILED, details.strategy); it retries. */
  "discovery:failed": (error: MeshError) => void;
}

/** Turns a member-table change into the public events. */
export function emitMemberChange(
  emitter: EventEmitter<GossipEvents>,
  kind: MemberEventKind,
  record: MemberRecord,
  previous: PreviousFacts | undefined,
): void {
  const view = toView(record);
  switch (kind) {
    case "joined":
    case "suspect":
    case "alive":
    case "dead":
    case "left":
      emitter.emit(`member:${kind}`, view);
      break;
    case "updated":
      if (previous !== undefined)
        emitter.emit("member:updated", view, {
          ...view,
          address: previous.address,
          state: previous.state,
          incarnation: previous.incarnation,
          capabilities: previous.metadata.capabilities,
          tags: previous.metadata.tags,
          metadataVersion: previous.metadata.version,
        });
      break;
  }
  const before = previous === undefined || !isLive(previous.state) ? [] : previous.metadata.capabilities;
  const after = isLive(record.state) ? record.metadata.capabilities : [];
  if (!sameCapabilities(before, after))
    emitter.emit("capabilities:changed", { name: record.name, capabilities: after, previous: before });
}
