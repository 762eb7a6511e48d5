/** Counters a gossip member keeps; plain numbers, cheap to bump on hot paths. */
export interface GossipStats {
  /** Datagrams and their bytes, as this member sent and received them (before any encryption). */
  packetsSent: number;
  bytesSent: number;
  packetsReceived: number;
  bytesReceived: number;
  /** The largest datagram this member sent, in bytes. */
  maxPacketBytes: number;
  /** Reliable stream requests this member made (push-pull, joins, metadata fetches, fallback pings) and failures. */
  streamRequests: number;
  streamFailures: number;
  /** Stream requests from others that this member answered. */
  streamsServed: number;
  /** Probes started, probes that got no ack at all, indirect probe requests sent. */
  probes: number;
  probesFailed: number;
  /** Probes whose deadline timer fired far too late (this member was stalled): no verdict. */
  probesInconclusive: number;
  indirectProbes: number;
  /** Lifeguard nacks: sent as an indirect prober, received as a requester. */
  nacksSent: number;
  nacksReceived: number;
  /** Probes answered only over the stream fallback. */
  fallbackAcks: number;
  /** Members this member moved from alive to suspect, and suspicions of itself it refuted. */
  suspicions: number;
  refutations: number;
  /** Members this member declared dead itself (its suspicion timer ran out). */
  deathsDeclared: number;
  /** Members seen joining (or coming back), leaving, and dying (declared by anyone), in this member's table. */
  membersJoined: number;
  membersLeft: number;
  membersDied: number;
  /** New members not added because the table held `maxMembers` already. */
  membersRefused: number;
  /** Live duplicates of a name found (the holder answered), and claims of a held name refused. */
  nameConflicts: number;
  nameClaimsRefused: number;
  pushPulls: number;
  /** Metadata fetches started, failed, and put off (owner not yet heard answering a probe, backoff, or the caps). */
  metadataFetches: number;
  metadataFetchFailures: number;
  metadataFetchesDeferred: number;
  /** Input dropped, by reason ("malformed", "invalid", "unknown-type", "oversize", "misdirected", …). */
  readonly dropped: Record<string, number>;
}

export function emptyGossipStats(): GossipStats {
  return {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    maxPacketBytes: 0,
    streamRequests: 0,
    streamFailures: 0,
    streamsServed: 0,
    probes: 0,
    probesFailed: 0,
    probesInconclusive: 0,
    indirectProbes: 0,
    nacksSent: 0,
    nacksReceived: 0,
    fallbackAcks: 0,
    suspicions: 0,
    refutations: 0,
    deathsDeclared: 0,
    membersJoined: 0,
    membersLeft: 0,
    membersDied: 0,
    membersRefused: 0,
    nameConflicts: 0,
    nameClaimsRefused: 0,
    pushPulls: 0,
    metadataFetches: 0,
    metadataFetchFailures: 0,
    metadataFetchesDeferred: 0,
    dropped: {},
  };
}

export function countDropped(stats: GossipStats, reason: string): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
}
