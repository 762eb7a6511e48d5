/**
 * Bounds on every decoded field. Anything outside them is a decode failure, so a
 * hostile packet cannot make a member allocate or store more than these.
 */
export const WIRE_LIMITS = {
  /** A member name (and an indirect-ping target). */
  maxNameLength: 256,
  /** A host string: an IPv6 literal or a DNS name fits in 255. */
  maxHostLength: 255,
  maxCapabilities: 1024,
  maxCapabilityLength: 256,
  maxTags: 256,
  maxTagKeyLength: 256,
  maxTagValueLength: 4096,
  /** Messages in one compound datagram; 1400 bytes hold far fewer. */
  maxCompoundMessages: 255,
  /** Members in one push-pull state. */
  maxPushPullMembers: 100_000,
  /** A datagram larger than UDP allows is not even parsed. */
  maxPacketBytes: 65_507,
  /** A stream frame (push-pull of a large cluster, big metadata). */
  maxStreamBytes: 64 * 1024 * 1024,
  /** Incarnations, versions and sequence numbers stay exact in a JS number. */
  maxCounter: Number.MAX_SAFE_INTEGER,
} as const;
