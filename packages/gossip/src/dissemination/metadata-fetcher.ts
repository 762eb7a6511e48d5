import type { TimerHandle } from "@mesh/interface";
import type { GossipHost } from "../gossip-host.js";
import { countDropped } from "../gossip-stats.js";
import { isLive, type MemberRecord } from "../members/member.js";
import { type Address, addressKey } from "../transport/transport.js";
import { decodeStreamMessage } from "../wire/decode.js";
import { encodeStreamMessage } from "../wire/encode.js";
import { MessageType } from "../wire/message-type.js";
import { metadataDigest } from "./metadata-digest.js";

/** Fetches under way at once, whatever the number of members waiting. */
export const MAX_CONCURRENT_FETCHES = 4;
/** Fetches started per probe interval, in total. */
export const MAX_FETCHES_PER_INTERVAL = 16;
/** A member's retry delay doubles per failure from one probe interval up to this many. */
export const MAX_FETCH_BACKOFF_INTERVALS = 64;
/** Pings to parked members' addresses per probe interval, in total. */
export const MAX_CHECK_PINGS_PER_INTERVAL = 32;
/**
 * Sequence numbers of those pings: far above the prober's (which stay below 2^32),
 * so their acks never count for one of its probes.
 */
const CHECK_SEQ_BASE = 2 ** 40;

export interface MetadataFetcherDeps {
  /** Sends a ping naming `name` to `to`; its ack, from that address, lets the fetch go. */
  ping(to: Address, name: string, seq: number): void;
}

/**
 * Fetches metadata that was announced by digest (too large for a datagram) from
 * its owner over a stream. A digest is only a claim: anyone can gossip an alive
 * message naming any address, and fetching on its word made every member connect
 * to whatever address an attacker named, every probe interval. So a fetch goes only
 * to an address this member has heard answer its probes directly (an ack from that
 * very address); until then the member waits ("parked"), and that address gets one
 * ping naming the member (one datagram, backing off like fetches), so a real
 * member need not wait for its turn in the probe round. Failures back off per
 * member (doubling from one probe interval up to {@link MAX_FETCH_BACKOFF_INTERVALS}),
 * and fetches are capped in total: {@link MAX_CONCURRENT_FETCHES} at once and
 * {@link MAX_FETCHES_PER_INTERVAL} started per probe interval.
 */
export class MetadataFetcher {
  readonly #h: GossipHost;
  /** Waiting for their address to answer a probe: name -> address key, and the reverse. */
  readonly #parked = new Map<string, string>();
  readonly #parkedAt = new Map<string, Set<string>>();
  /** Ready to fetch, waiting for a slot. */
  readonly #ready = new Set<string>();
  /** Backing off after a failure: name -> failures and when to retry. */
  readonly #backoff = new Map<string, { failures: number; retryAt: number }>();
  readonly #running = new Set<string>();
  readonly #deps: MetadataFetcherDeps;
  /** Parked addresses pinged: when the next ping may go, and how many went. */
  readonly #pinged = new Map<string, { pings: number; nextAt: number }>();
  #pingWindowStart = Number.NEGATIVE_INFINITY;
  #pingWindowCount = 0;
  #pingSeq = 0;
  #windowStart = Number.NEGATIVE_INFINITY;
  #windowCount = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(host: GossipHost, deps: MetadataFetcherDeps) {
    this.#h = host;
    this.#deps = deps;
  }

  /** A member announced metadata we do not hold. */
  fetch(record: MemberRecord): void {
    const h = this.#h;
    if (record.pendingMetadata === undefined || !h.isRunning()) return;
    const { name } = record;
    if (this.#running.has(name) || this.#backoff.has(name)) return;
    this.#unpark(name);
    const key = addressKey(record.address);
    if (!h.answered.has(record.address)) {
      h.stats.metadataFetchesDeferred++;
      this.#parked.set(name, key);
      let names = this.#parkedAt.get(key);
      if (names === undefined) {
        names = new Set();
        this.#parkedAt.set(key, names);
      }
      names.add(name);
      this.#ping(record, key);
      return;
    }
    this.#ready.add(name);
    this.#pump();
  }

  /** A datagram answering one of this member's probes came from `address`. */
  answeredFrom(address: Address): void {
    const key = addressKey(address);
    this.#h.answered.add(address);
    this.#pinged.delete(key);
    const names = this.#parkedAt.get(key);
    if (names === undefined) return;
    this.#parkedAt.delete(key);
    for (const name of names) {
      this.#parked.delete(name);
      this.#ready.add(name);
    }
    this.#pump();
  }

  stop(): void {
    if (this.#timer !== undefined) this.#h.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#ready.clear();
    this.#parked.clear();
    this.#parkedAt.clear();
    this.#backoff.clear();
    this.#pinged.clear();
  }

  #ping(record: MemberRecord, key: string): void {
    const h = this.#h;
    const now = h.clock.now();
    const interval = h.config.probeIntervalMs;
    const last = this.#pinged.get(key);
    if (last !== undefined && last.nextAt > now) return;
    if (now - this.#pingWindowStart >= interval) {
      this.#pingWindowStart = now;
      this.#pingWindowCount = 0;
    }
    if (this.#pingWindowCount >= MAX_CHECK_PINGS_PER_INTERVAL) return;
    this.#pingWindowCount++;
    const pings = (last?.pings ?? 0) + 1;
    this.#pinged.delete(key);
    this.#pinged.set(key, { pings, nextAt: now + interval * Math.min(MAX_FETCH_BACKOFF_INTERVALS, 2 ** (pings - 1)) });
    if (this.#pinged.size > h.config.maxMembers) {
      const oldest = this.#pinged.keys().next().value;
      if (oldest !== undefined) this.#pinged.delete(oldest);
    }
    this.#pingSeq = (this.#pingSeq + 1) % 2 ** 32;
    this.#deps.ping(record.address, record.name, CHECK_SEQ_BASE + this.#pingSeq);
  }

  #unpark(name: string): void {
    const key = this.#parked.get(name);
    if (key === undefined) return;
    this.#parked.delete(name);
    const names = this.#parkedAt.get(key);
    names?.delete(name);
    if (names?.size === 0) this.#parkedAt.delete(key);
  }

  #pump(): void {
    const h = this.#h;
    if (!h.isRunning()) return;
    const now = h.clock.now();
    const interval = h.config.probeIntervalMs;
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const [name, b] of this.#backoff) {
      if (this.#running.has(name)) continue;
      if (b.retryAt <= now) this.#ready.add(name);
      else wakeAt = Math.min(wakeAt, b.retryAt);
    }
    if (now - this.#windowStart >= interval) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    for (const name of this.#ready) {
      if (this.#running.size >= MAX_CONCURRENT_FETCHES) break;
      if (this.#windowCount >= MAX_FETCHES_PER_INTERVAL) {
        wakeAt = Math.min(wakeAt, this.#windowStart + interval);
        break;
      }
      this.#ready.delete(name);
      const r = h.membership.get(name);
      if (r === undefined || r.pendingMetadata === undefined || !isLive(r.state)) {
        this.#backoff.delete(name);
        continue;
      }
      if (!h.answered.has(r.address)) {
        // It moved since it was queued: the new address has to answer first.
        this.#backoff.delete(name);
        this.fetch(r);
        continue;
      }
      this.#start(r);
    }
    this.#wake(wakeAt);
  }

  #wake(at: number): void {
    const h = this.#h;
    if (at === Number.POSITIVE_INFINITY || (this.#timer !== undefined && this.#timerAt <= at)) return;
    if (this.#timer !== undefined) h.clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = h.clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, at - h.clock.now()),
    );
  }

  #start(record: MemberRecord): void {
    const h = this.#h;
    const { name } = record;
    const pending = record.pendingMetadata;
    if (pending === undefined) return;
    this.#running.add(name);
    this.#windowCount++;
    h.stats.metadataFetches++;
    const request = encodeStreamMessage({ type: MessageType.metadataFetch, name });
    h.request(record.address, request, h.config.streamTimeoutMs)
      .then(
        (reply) => {
          const d = decodeStreamMessage(reply);
          if (!d.ok || d.value.type !== MessageType.metadataReply || d.value.name !== name) {
            countDropped(h.stats, d.ok ? "unexpected-stream" : d.reason);
            return false;
          }
          const { incarnation, metadata } = d.value;
          // What we fetch must be what was announced, unless the owner has moved on since.
          if (incarnation === pending.incarnation && metadataDigest(metadata).digest !== pending.digest.digest) {
            countDropped(h.stats, "digest-mismatch");
            return false;
          }
          if (h.isRunning()) h.membership.applyFetchedMetadata(name, incarnation, metadata);
          return true;
        },
        () => false,
      )
      .then((ok) => {
        this.#running.delete(name);
        if (!ok) h.stats.metadataFetchFailures++;
        if (!h.isRunning()) return;
        const r = h.membership.get(name);
        if (r?.pendingMetadata === undefined || !isLive(r.state)) {
          this.#backoff.delete(name);
        } else {
          // Still missing (failed, or the owner has moved on): try again later, later each time.
          const failures = (this.#backoff.get(name)?.failures ?? 0) + 1;
          const delay = h.config.probeIntervalMs * Math.min(MAX_FETCH_BACKOFF_INTERVALS, 2 ** (failures - 1));
          this.#backoff.set(name, { failures, retryAt: h.clock.now() + delay });
        }
        this.#pump();
      });
  }
}
