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
  /**
   * The largest incarnation a decoder accepts. Membership drops any claim at this
   * incarnation or above, so a refutation (the accused incarnation + 1) always
   * decodes (see members/incarnation.ts).
   */
  maxIncarnation: Number.MAX_SAFE_INTEGER,
  /**
   * The most one message may move a known member's incarnation forward. Honest
   * members raise their own incarnation by one per refutation or metadata change,
   * and a new life of a member takes over its name at the old life's + 1, so no
   * honest message jumps this far; a hostile one that does is dropped. Reaching
   * maxIncarnation then takes over 2^33 accepted hostile messages.
   */
  maxIncarnationJump: 2 ** 20,
} as const;
