import type { Address } from "../transport/transport.js";
import type { MemberStateName, Metadata, MetadataDigest } from "../wire/messages.js";

export type MemberState = MemberStateName;

/** What this member believes about one member (mutable, internal). */
export interface MemberRecord {
  readonly name: string;
  address: Address;
  state: MemberState;
  incarnation: number;
  /** Clock time of the last state change: drives gossip-to-the-dead and retention. */
  stateChangedAt: number;
  /** The newest metadata held in full. */
  metadata: Metadata;
  /** Metadata announced by digest (too large for a datagram) and not fetched yet. */
  pendingMetadata: PendingMetadata | undefined;
}

export interface PendingMetadata {
  readonly digest: MetadataDigest;
  /** The incarnation of the alive message that announced it. */
  readonly incarnation: number;
}

/** A member as the public API shows it (a frozen snapshot). */
export interface MemberView {
  readonly name: string;
  readonly address: Address;
  readonly state: MemberState;
  readonly incarnation: number;
  readonly capabilities: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  /** The version of `capabilities` and `tags`. */
  readonly metadataVersion: number;
}

export function toView(record: MemberRecord): MemberView {
  return Object.freeze({
    name: record.name,
    address: record.address,
    state: record.state,
    incarnation: record.incarnation,
    capabilities: record.metadata.capabilities,
    tags: record.metadata.tags,
    metadataVersion: record.metadata.version,
  });
}

export function isLive(state: MemberState): boolean {
  return state === "alive" || state === "suspect";
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.host === b.host && a.port === b.port;
}

export function sameCapabilities(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sameTags(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
  return true;
}

export function sameMetadata(a: Metadata, b: Metadata): boolean {
  return (
    a === b || (a.version === b.version && sameCapabilities(a.capabilities, b.capabilities) && sameTags(a.tags, b.tags))
  );
}

export const EMPTY_METADATA: Metadata = Object.freeze({
  version: 0,
  capabilities: Object.freeze([]),
  tags: Object.freeze({}),
});
