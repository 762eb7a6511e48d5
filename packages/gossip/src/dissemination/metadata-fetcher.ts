import type { GossipHost } from "../gossip-host.js";
import { countDropped } from "../gossip-stats.js";
import { isLive, type MemberRecord } from "../members/member.js";
import { decodeStreamMessage } from "../wire/decode.js";
import { encodeStreamMessage } from "../wire/encode.js";
import { MessageType } from "../wire/message-type.js";
import { metadataDigest } from "./metadata-digest.js";

const ignore = (): void => {};

/**
 * Fetches metadata that was announced by digest (too large for a datagram) from
 * its owner over a stream, one fetch per member at a time, retried every probe
 * interval while the member lives and the metadata is still missing.
 */
export class MetadataFetcher {
  readonly #h: GossipHost;
  readonly #fetching = new Set<string>();

  constructor(host: GossipHost) {
    this.#h = host;
  }

  fetch(record: MemberRecord): void {
    const h = this.#h;
    const { name } = record;
    const pending = record.pendingMetadata;
    if (pending === undefined || this.#fetching.has(name) || !h.isRunning()) return;
    this.#fetching.add(name);
    h.stats.metadataFetches++;
    const request = encodeStreamMessage({ type: MessageType.metadataFetch, name });
    h.request(record.address, request, h.config.streamTimeoutMs)
      .then((reply) => {
        const d = decodeStreamMessage(reply);
        if (!d.ok || d.value.type !== MessageType.metadataReply || d.value.name !== name) {
          countDropped(h.stats, d.ok ? "unexpected-stream" : d.reason);
          return;
        }
        const { incarnation, metadata } = d.value;
        // What we fetch must be what was announced, unless the owner has moved on since.
        if (incarnation === pending.incarnation && metadataDigest(metadata).digest !== pending.digest.digest) {
          countDropped(h.stats, "digest-mismatch");
          return;
        }
        if (h.isRunning()) h.membership.applyFetchedMetadata(name, incarnation, metadata);
      }, ignore)
      .finally(() => {
        this.#fetching.delete(name);
        if (!h.isRunning()) return;
        const r = h.membership.get(name);
        if (r?.pendingMetadata === undefined || !isLive(r.state)) return;
        // Retry after a protocol period: the owner may have been busy or briefly unreachable.
        h.clock.setTimeout(() => {
          const again = h.isRunning() ? h.membership.get(name) : undefined;
          if (again !== undefined && isLive(again.state)) this.fetch(again);
        }, h.config.probeIntervalMs);
      });
  }
}
