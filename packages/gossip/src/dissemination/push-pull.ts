import { type MemberRecord, sameAddress } from "../members/member.js";
import type { Membership } from "../members/membership.js";
import { MessageType } from "../wire/message-type.js";
import type { MemberStateEntry } from "../wire/messages.js";

/** This member's full view for a push-pull: every member it holds, dead and left ones included. */
export function localState(membership: Membership): MemberStateEntry[] {
  const out: MemberStateEntry[] = [];
  for (const r of membership.records()) {
    out.push({ name: r.name, address: r.address, incarnation: r.incarnation, state: r.state, metadata: r.metadata });
  }
  return out;
}

/**
 * Merges a peer's full view (memberlist mergeState). Alive entries are applied as
 * alive messages; suspect AND dead entries as suspicions vouched for by the peer,
 * so a push-pull never kills a member outright (it gets a suspicion's time to
 * refute); left entries as the member's own leave.
 */
export function mergeRemoteState(membership: Membership, from: string, entries: readonly MemberStateEntry[]): void {
  const local = membership.local;
  for (const e of entries) {
    if (e.name === local.name && e.incarnation >= local.incarnation && !isCurrent(e, local)) {
      // An older life of this name: what we gossip next must read as newer.
      membership.observeOwnMetadataVersion(e.metadata.version);
    }
    switch (e.state) {
      case "alive":
        membership.applyAlive({
          type: MessageType.alive,
          name: e.name,
          incarnation: e.incarnation,
          address: e.address,
          metadata: e.metadata,
        });
        break;
      case "suspect":
      case "dead":
        membership.applySuspect({ type: MessageType.suspect, name: e.name, incarnation: e.incarnation, from });
        break;
      case "left":
        membership.applyDead({ type: MessageType.dead, name: e.name, incarnation: e.incarnation, from: e.name });
        break;
    }
  }
}

function isCurrent(e: MemberStateEntry, local: MemberRecord): boolean {
  return (
    e.state === "alive" &&
    e.incarnation === local.incarnation &&
    e.metadata.version === local.metadata.version &&
    sameAddress(e.address, local.address)
  );
}
