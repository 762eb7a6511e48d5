import type { Address } from "../transport/transport.js";
import { MessageType } from "../wire/message-type.js";
import {
  type AliveMessage,
  type DeadMessage,
  isMetadataDigest,
  type Metadata,
  type SuspectMessage,
} from "../wire/messages.js";
import { plausibleIncarnation, refutationIncarnation } from "./incarnation.js";
import { EMPTY_METADATA, isLive, type MemberRecord, sameAddress, sameMetadata } from "./member.js";

export type MemberEventKind = "joined" | "suspect" | "alive" | "dead" | "left" | "updated";

/** What the SWIM layer does when the member table changes; the table itself has no timers or sockets. */
export interface MembershipEffects {
  now(): number;
  /** Queue a message for piggybacking, replacing any queued message about the same member. */
  broadcast(name: string, message: AliveMessage | SuspectMessage | DeadMessage): void;
  suspicionStarted(record: MemberRecord, from: string): void;
  /** Counts a confirmation; true when it was new (then the suspect message is re-gossiped). */
  suspicionConfirmed(name: string, from: string): boolean;
  suspicionEnded(name: string): void;
  /** This member refuted a suspicion of itself (Lifeguard: a sign that it may be the slow one). */
  refuted(): void;
  /**
   * A stale suspicion or death of this member (older than its current incarnation)
   * is still going round: gossip the current alive again if it is no longer queued.
   */
  reassert(): void;
  /** The digest of a metadata set (to tell whether an announced digest is news). */
  digestOf(metadata: Metadata): string;
  /** A member announced metadata by digest that we do not hold: fetch it over a stream. */
  metadataAnnounced(record: MemberRecord): void;
  /** A member was added to the table (the prober schedules it). */
  added(record: MemberRecord): void;
  /** A new member was not added: the table holds `maxMembers` already. */
  refused(m: AliveMessage): void;
  /**
   * A newer alive names a live member at another address: a second process with its
   * name, or the member restarted elsewhere. Not applied; the name guard checks the
   * address we hold and applies it (`verified`) only if nothing answers there.
   */
  addressClaimed(record: MemberRecord, m: AliveMessage): void;
  /** An alive of this member's own name at another address: an older life, or a live duplicate. */
  selfClaimed(m: AliveMessage): void;
  changed(kind: MemberEventKind, record: MemberRecord, previous: PreviousFacts | undefined): void;
  /** A message was refused (e.g. "implausible-incarnation", see incarnation.ts). */
  dropped?(reason: string): void;
}

/** What a record looked like before a change, for `member:updated` and `capabilities:changed`. */
export interface PreviousFacts {
  readonly state: MemberRecord["state"];
  readonly address: Address;
  readonly metadata: Metadata;
  readonly incarnation: number;
}

function facts(r: MemberRecord): PreviousFacts {
  return { state: r.state, address: r.address, metadata: r.metadata, incarnation: r.incarnation };
}

/** Received capability lists are normalised like local ones: sorted, no duplicates. */
function normalise(m: Metadata): Metadata {
  const caps = [...new Set(m.capabilities)].sort();
  return Object.freeze({ version: m.version, capabilities: Object.freeze(caps), tags: Object.freeze({ ...m.tags }) });
}

/**
 * The member table and the SWIM state rules (memberlist state.go: aliveNode,
 * suspectNode, deadNode), applied to one message at a time.
 *
 * Rules, for a message about member m with incarnation i:
 * - alive: accepted if i is newer than what we hold, whatever m's state (a dead or
 *   left member comes back only this way, and only m itself makes new incarnations).
 *   Its address and metadata replace ours: a newer incarnation is m's latest word,
 *   except that moving a live member to another address waits for the name guard
 *   (name-guard.ts: the held address is asked first). At the same incarnation,
 *   only metadata we were waiting for (announced by digest) is taken, e.g. from a
 *   push-pull. New names past maxMembers are refused.
 * - suspect: accepted at i >= ours for an alive member; for a suspect one it counts
 *   as a confirmation. Dead and left members stay so.
 * - dead (from !== m) / left (from === m): accepted at i >= ours unless already
 *   dead or left.
 * - about this member itself: any suspect/dead, or an alive that differs from our
 *   own, is refuted by a new incarnation above the accused one, unless leaving.
 * - any claim far above the incarnation we hold, or at the maximum, is dropped
 *   (incarnation.ts): incarnations stay in range whatever a peer sends.
 * Dead and left members are kept (see {@link Membership.sweep}) so stale gossip,
 * which always carries an incarnation <= theirs, cannot bring them back.
 */
export class Membership {
  readonly #records = new Map<string, MemberRecord>();
  readonly #effects: MembershipEffects;
  readonly #maxMembers: number;
  readonly local: MemberRecord;
  #leaving = false;
  /** Alive and suspect records, kept as states change: liveCount() runs per suspicion and per packet. */
  #live = 1;

  constructor(
    local: { name: string; address: Address; metadata: Metadata },
    effects: MembershipEffects,
    maxMembers = Number.POSITIVE_INFINITY,
  ) {
    this.#effects = effects;
    this.#maxMembers = maxMembers;
    this.local = {
      name: local.name,
      address: local.address,
      state: "alive",
      incarnation: 0,
      stateChangedAt: effects.now(),
      metadata: local.metadata,
      pendingMetadata: undefined,
    };
    this.#records.set(local.name, this.local);
  }

  get(name: string): MemberRecord | undefined {
    return this.#records.get(name);
  }

  records(): IterableIterator<MemberRecord> {
    return this.#records.values();
  }

  get size(): number {
    return this.#records.size;
  }

  /** Members believed alive or suspect, this one included: the n of the protocol formulas. */
  liveCount(): number {
    return this.#live;
  }

  get leaving(): boolean {
    return this.#leaving;
  }

  localAlive(): AliveMessage {
    const l = this.local;
    return {
      type: MessageType.alive,
      name: l.name,
      incarnation: l.incarnation,
      address: l.address,
      metadata: l.metadata,
    };
  }

  /** `verified`: the name guard found nothing answering at the address we hold. */
  applyAlive(m: AliveMessage, verified = false): void {
    if (!this.#plausible(m.name, m.incarnation)) return;
    if (m.name === this.local.name) {
      this.#aliveAboutSelf(m);
      return;
    }
    const r = this.#records.get(m.name);
    if (r === undefined && this.#records.size >= this.#maxMembers) {
      this.#effects.refused(m);
      return;
    }
    const digest = isMetadataDigest(m.metadata) ? m.metadata : undefined;
    const full = digest === undefined ? normalise(m.metadata as Metadata) : undefined;
    if (r === undefined) {
      const record: MemberRecord = {
        name: m.name,
        address: m.address,
        state: "alive",
        incarnation: m.incarnation,
        stateChangedAt: this.#effects.now(),
        metadata: full ?? EMPTY_METADATA,
        pendingMetadata: digest === undefined ? undefined : { digest, incarnation: m.incarnation },
      };
      this.#records.set(m.name, record);
      this.#live++;
      this.#effects.added(record);
      this.#effects.broadcast(m.name, m);
      this.#effects.changed("joined", record, undefined);
      if (record.pendingMetadata !== undefined) this.#effects.metadataAnnounced(record);
      return;
    }
    if (m.incarnation < r.incarnation) return;
    if (m.incarnation === r.incarnation) {
      if (full !== undefined && r.pendingMetadata !== undefined) this.#takeMetadata(r, full, m.incarnation);
      return;
    }
    if (!verified && isLive(r.state) && !sameAddress(r.address, m.address)) {
      this.#effects.addressClaimed(r, m);
      return;
    }
    const before = facts(r);
    r.incarnation = m.incarnation;
    r.address = m.address;
    if (!isLive(r.state)) this.#live++;
    if (r.state !== "alive") {
      if (r.state === "suspect") this.#effects.suspicionEnded(r.name);
      r.state = "alive";
      r.stateChangedAt = this.#effects.now();
    }
    let announced = false;
    if (full !== undefined) {
      if (!sameMetadata(full, r.metadata)) r.metadata = full;
      r.pendingMetadata = undefined;
    } else if (digest !== undefined) {
      const known = digest.version === r.metadata.version && digest.digest === this.#effects.digestOf(r.metadata);
      r.pendingMetadata = known ? undefined : { digest, incarnation: m.incarnation };
      announced = !known;
    }
    this.#effects.broadcast(r.name, m);
    if (before.state === "dead" || before.state === "left") this.#effects.changed("joined", r, before);
    else if (before.state === "suspect") this.#effects.changed("alive", r, before);
    if (!sameAddress(before.address, r.address) || before.metadata !== r.metadata)
      this.#effects.changed("updated", r, before);
    if (announced) this.#effects.metadataAnnounced(r);
  }

  applySuspect(s: SuspectMessage): void {
    if (!this.#plausible(s.name, s.incarnation)) return;
    const r = this.#records.get(s.name);
    if (r === this.local && s.incarnation < r.incarnation && !this.#leaving) this.#effects.reassert();
    if (r === undefined || s.incarnation < r.incarnation || !isLive(r.state)) return;
    if (r === this.local) {
      if (!this.#leaving) this.#refute(s.incarnation);
      return;
    }
    if (r.state === "suspect") {
      if (this.#effects.suspicionConfirmed(r.name, s.from)) this.#effects.broadcast(r.name, s);
      return;
    }
    const before = facts(r);
    r.state = "suspect";
    r.incarnation = s.incarnation;
    r.stateChangedAt = this.#effects.now();
    this.#effects.suspicionStarted(r, s.from);
    this.#effects.broadcast(r.name, s);
    this.#effects.changed("suspect", r, before);
  }

  applyDead(d: DeadMessage): void {
    if (!this.#plausible(d.name, d.incarnation)) return;
    const r = this.#records.get(d.name);
    if (r === this.local && d.incarnation < r.incarnation && !this.#leaving) this.#effects.reassert();
    if (r === undefined || d.incarnation < r.incarnation || !isLive(r.state)) return;
    if (r === this.local && !this.#leaving) {
      this.#refute(d.incarnation);
      return;
    }
    const before = facts(r);
    if (before.state === "suspect") this.#effects.suspicionEnded(r.name);
    r.state = d.from === d.name ? "left" : "dead";
    this.#live--;
    r.incarnation = d.incarnation;
    r.stateChangedAt = this.#effects.now();
    this.#effects.broadcast(r.name, d);
    this.#effects.changed(r.state === "left" ? "left" : "dead", r, before);
  }

  /** A metadata fetch completed: take it unless we already know a newer incarnation's metadata. */
  applyFetchedMetadata(name: string, incarnation: number, metadata: Metadata): boolean {
    const r = this.#records.get(name);
    if (r === undefined || r === this.local || r.pendingMetadata === undefined || incarnation < r.incarnation)
      return false;
    this.#takeMetadata(r, normalise(metadata), incarnation);
    return true;
  }

  /**
   * A push-pull showed an older life of this member with metadata version `seen`:
   * keep our versions above it, so the metadata we gossip reads as the newer one.
   */
  observeOwnMetadataVersion(seen: number): void {
    const l = this.local;
    if (seen >= l.metadata.version) l.metadata = Object.freeze({ ...l.metadata, version: seen + 1 });
  }

  /** This member's metadata changed: a new version, a new incarnation, gossiped with its alive message. */
  updateLocalMetadata(capabilities: readonly string[], tags: Readonly<Record<string, string>>): void {
    const l = this.local;
    const before = facts(l);
    l.metadata = Object.freeze({ version: l.metadata.version + 1, capabilities, tags });
    l.incarnation++;
    this.#effects.broadcast(l.name, this.localAlive());
    this.#effects.changed("updated", l, before);
  }

  /** Graceful leave: this member marks itself left and gossips it (a dead message from itself). */
  leave(): DeadMessage {
    this.#leaving = true;
    const l = this.local;
    const d: DeadMessage = { type: MessageType.dead, name: l.name, incarnation: l.incarnation, from: l.name };
    this.applyDead(d);
    return d;
  }

  /** Forgets dead and left members after `retentionMs`; returns the names removed. */
  sweep(retentionMs: number): string[] {
    const now = this.#effects.now();
    const removed: string[] = [];
    for (const r of this.#records.values()) {
      if (!isLive(r.state) && r !== this.local && now - r.stateChangedAt >= retentionMs) removed.push(r.name);
    }
    for (const name of removed) this.#records.delete(name);
    return removed;
  }

  #aliveAboutSelf(m: AliveMessage): void {
    const l = this.local;
    if (m.incarnation < l.incarnation || this.#leaving) return;
    const version = m.metadata.version;
    if (m.incarnation === l.incarnation && sameAddress(m.address, l.address) && version === l.metadata.version) return;
    if (!sameAddress(m.address, l.address)) {
      // An older life at another address, or a second live process with this name:
      // the name guard asks that address before anything is refuted.
      this.#effects.selfClaimed(m);
      return;
    }
    // Someone holds a newer or different picture of us (an older life of this name): take the name back.
    this.refuteOlderLife(m);
  }

  /** An alive of this member's name from an older life: keep our incarnation and metadata version above it. */
  refuteOlderLife(m: AliveMessage): void {
    if (this.#leaving || m.incarnation < this.local.incarnation) return;
    this.observeOwnMetadataVersion(m.metadata.version);
    this.#refute(m.incarnation);
  }

  #plausible(name: string, claimed: number): boolean {
    if (plausibleIncarnation(this.#records.get(name)?.incarnation, claimed)) return true;
    this.#effects.dropped?.("implausible-incarnation");
    return false;
  }

  #refute(accused: number): void {
    this.local.incarnation = refutationIncarnation(this.local.incarnation, accused);
    this.#effects.refuted();
    this.#effects.broadcast(this.local.name, this.localAlive());
  }

  #takeMetadata(r: MemberRecord, m: Metadata, incarnation: number): void {
    const pending = r.pendingMetadata;
    if (pending !== undefined && incarnation >= pending.incarnation) r.pendingMetadata = undefined;
    if (sameMetadata(m, r.metadata)) return;
    const before = facts(r);
    r.metadata = m;
    this.#effects.changed("updated", r, before);
  }
}
