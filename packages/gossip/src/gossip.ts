import {
  type Clock,
  invalidArgument,
  type Logger,
  MeshError,
  noopLogger,
  type Random,
  systemClock,
  systemRandom,
  type TimerHandle,
} from "@mesh/interface";
import { EventEmitter } from "eventemitter3";
import {
  type GossipConfig,
  type GossipInit,
  resolveGossipConfig,
  validateCapabilities,
  validateTags,
} from "./config.js";
import type { Discovery, DiscoveryPeer } from "./discovery/discovery.js";
import { AntiEntropy } from "./dissemination/anti-entropy.js";
import { Disseminator } from "./dissemination/disseminator.js";
import { metadataDigest } from "./dissemination/metadata-digest.js";
import { MetadataFetcher } from "./dissemination/metadata-fetcher.js";
import { DropLog } from "./drop-log.js";
import { emitMemberChange, type GossipEvents } from "./gossip-events.js";
import type { GossipHost } from "./gossip-host.js";
import { countDropped, emptyGossipStats, type GossipStats } from "./gossip-stats.js";
import { AnsweredAddresses } from "./members/answered.js";
import { isLive, type MemberView, sameAddress, sameCapabilities, toView } from "./members/member.js";
import { type MemberEventKind, Membership, type MembershipEffects } from "./members/membership.js";
import { NameGuard } from "./members/name-guard.js";
import { Awareness } from "./swim/awareness.js";
import { Prober } from "./swim/prober.js";
import { Suspicions } from "./swim/suspicions.js";
import { type Address, addressKey, type Transport, type TransportStats } from "./transport/transport.js";
import { decodePacket, decodeStreamMessage } from "./wire/decode.js";
import { encodePacketMessage, encodeStreamMessage } from "./wire/encode.js";
import { MessageType } from "./wire/message-type.js";
import type { DeadMessage, Metadata, PacketMessage, SuspectMessage } from "./wire/messages.js";

/** The collaborators a gossip member runs on; only the transport is required. */
export interface GossipComponents {
  readonly transport: Transport;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  readonly discovery?: readonly Discovery[];
}

export interface GossipStatsSnapshot extends GossipStats {
  readonly awarenessScore: number;
  readonly queuedBroadcasts: number;
  readonly alive: number;
  readonly suspect: number;
  readonly dead: number;
  readonly left: number;
  /** The transport's own counters; its `dropped` holds the secure transport's "decrypt", "replay", "stale", "malformed". */
  readonly transport: TransportStats;
}

type Phase = "new" | "running" | "stopping" | "stopped";
const ignore = (): void => {};
const PUSH_PULL = "push-pull";
const GOSSIP = "gossip";
const RECONNECT = "reconnect";
const SWEEP = "sweep";
/** Joins started by discovery at once; more peers wait for the strategy's next report (it repeats them). */
const MAX_DISCOVERY_JOINS = 8;
/** Dead members are swept at most this often (and at least once per retention period). */
const SWEEP_EVERY_MS = 10_000;

/**
 * One member of a SWIM + Lifeguard cluster: failure detection (swim/), the member
 * table and its rules (members/), piggybacked gossip and push-pull (dissemination/)
 * over a {@link Transport}. Everything time- or chance-driven goes through the
 * clock and random components, so a whole cluster runs in a simulation.
 */
export class Gossip extends EventEmitter<GossipEvents> {
  readonly config: GossipConfig;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #discovery: readonly Discovery[];
  readonly #stats = emptyGossipStats();
  readonly #awareness: Awareness;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #abort = new AbortController();
  readonly #joining = new Set<string>();
  readonly #out: Disseminator;
  readonly #prober: Prober;
  readonly #suspicions: Suspicions;
  readonly #fetcher: MetadataFetcher;
  readonly #antiEntropy: AntiEntropy;
  readonly #guard: NameGuard;
  readonly #dropLog: DropLog;
  readonly #answered: AnsweredAddresses;
  /** Joins started by discovery while start() runs: start() waits for them (bounded). */
  #initialJoins: Promise<unknown>[] | undefined;
  #conflict: MeshError | undefined;
  /** Settles once the joins discovery started at start() settled: with the name conflict one found, if any. */
  #settled: Promise<MeshError | undefined> | undefined;
  #membership: Membership | undefined;
  #phase: Phase = "new";
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #leaving: Promise<void> | undefined;
  #metadata: { capabilities: readonly string[]; tags: Readonly<Record<string, string>> };

  constructor(init: GossipInit, components: GossipComponents) {
    super();
    if (components?.transport === undefined) throw invalidArgument("components.transport", "a Transport", undefined);
    this.#transport = components.transport;
    this.#clock = components.clock ?? systemClock;
    this.#random = components.random ?? systemRandom;
    this.#logger = components.logger ?? noopLogger;
    this.#discovery = components.discovery ?? [];
    this.config = resolveGossipConfig(init, this.#random);
    this.#metadata = { capabilities: this.config.capabilities, tags: this.config.tags };
    this.#awareness = new Awareness(this.config.awarenessMaxMultiplier, this.config.lifeguardAwareness);
    const self = this;
    this.#answered = new AnsweredAddresses(this.config.maxMembers);
    const host: GossipHost = {
      config: this.config,
      clock: this.#clock,
      random: this.#random,
      logger: this.#logger,
      stats: this.#stats,
      answered: this.#answered,
      get membership() {
        return self.#members();
      },
      isRunning: () => this.#phase === "running",
      request: (to, payload, timeoutMs) => this.#request(to, payload, timeoutMs),
    };
    this.#prober = new Prober({
      config: this.config,
      clock: this.#clock,
      random: this.#random,
      stats: this.#stats,
      awareness: this.#awareness,
      get membership() {
        return self.#members();
      },
      isRunning: host.isRunning,
      // The stream fallback ping goes only to an address that has answered a probe
      // before: a forged member "at" a bystander's address must not make us connect there.
      request: (to, payload, timeoutMs) =>
        this.#answered.has(to)
          ? host.request(to, payload, timeoutMs)
          : Promise.reject(new MeshError("MESH_ERR_NODE_UNREACHABLE", "no stream to an address that never answered")),
      send: (to, primary, toName) => this.#out.send(to, primary, toName),
    });
    this.#suspicions = new Suspicions(host);
    this.#fetcher = new MetadataFetcher(host, {
      ping: (to, target, seq) =>
        this.#out.send(
          to,
          [encodePacketMessage({ type: MessageType.ping, seq, target, source: this.config.name })],
          target,
        ),
    });
    this.#guard = new NameGuard(host, {
      logger: this.#logger,
      sendAlive: (to, alive) => {
        const bytes = this.#out.encodeUpdate(alive);
        if (bytes !== undefined) this.#out.send(to, [bytes]);
      },
    });
    this.#antiEntropy = new AntiEntropy(host, this.#guard);
    this.#dropLog = new DropLog(this.#logger, () => this.#clock.now(), "gossip dropped input");
    this.#out = new Disseminator(
      host,
      this.#transport,
      () => this.#liveCount(),
      (name) => this.#prober.isSilent(name),
      (name) => this.#prober.isUnanswered(name),
    );
  }

  get name(): string {
    return this.config.name;
  }

  /** This member as others see it. Throws before start(). */
  get localMember(): MemberView {
    return toView(this.#members().local);
  }

  /** Every member this one knows, itself included, in every state (dead and left ones until forgotten). */
  members(): readonly MemberView[] {
    if (this.#membership === undefined) return [];
    const out: MemberView[] = [];
    for (const r of this.#membership.records()) out.push(toView(r));
    return out;
  }

  /** Starts the transport, the protocol timers and discovery. Idempotent. */
  start(): Promise<void> {
    if (this.#phase === "stopped" || this.#phase === "stopping")
      return Promise.reject(new MeshError("MESH_ERR_NODE_STOPPED", "this gossip member was stopped; create a new one"));
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#transport.setHandlers({
      packet: (packet, from) => this.#onPacket(packet, from),
      stream: (request, from) => this.#onStream(request, from),
    });
    await this.#transport.start();
    const address = this.config.advertiseAddress ?? this.#transport.localAddress;
    const metadata: Metadata = Object.freeze({ version: 1, ...this.#metadata });
    this.#membership = new Membership(
      { name: this.config.name, address, metadata },
      this.#effects(),
      this.config.maxMembers,
    );
    this.#phase = "running";
    this.#prober.start();
    const stagger = (ms: number) => Math.floor(this.#random.next() * ms);
    this.#every(GOSSIP, stagger(this.config.gossipIntervalMs), () => this.#out.gossipRound());
    if (this.config.pushPullIntervalMs > 0)
      this.#every(PUSH_PULL, stagger(this.config.pushPullIntervalMs), () => this.#antiEntropy.pushPullRound());
    if (this.config.reconnectIntervalMs > 0)
      this.#every(RECONNECT, stagger(this.config.reconnectIntervalMs), () => this.#antiEntropy.reconnectRound());
    this.#every(SWEEP, Math.min(SWEEP_EVERY_MS, this.config.deadMemberRetentionMs), () => this.#sweep());
    const context = {
      name: this.config.name,
      address,
      onPeer: (peer: DiscoveryPeer) => this.#onPeer(peer),
      clock: this.#clock,
      random: this.#random,
      logger: this.#logger,
      onFailure: (error: MeshError) => this.emit("discovery:failed", error),
    };
    const joins: Promise<unknown>[] = [];
    this.#initialJoins = joins;
    try {
      for (const d of this.#discovery) {
        if (this.#phase !== "running") break;
        await d.start(context);
      }
    } finally {
      this.#initialJoins = undefined;
    }
    this.#settled = this.#settle(joins);
  }

  /**
   * The joins discovery started at start() are where a live holder of this name
   * shows up: waits for them, as long as one can take (its push-pull, then the
   * check of the holder's address; a seed that refuses answers at once).
   */
  async #settle(joins: readonly Promise<unknown>[]): Promise<MeshError | undefined> {
    if (joins.length > 0) {
      let timer: TimerHandle | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = this.#clock.setTimeout(resolve, 2 * this.config.streamTimeoutMs);
      });
      await Promise.race([Promise.allSettled(joins), bound]);
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    if (this.#conflict !== undefined) await this.#stopping;
    return this.#conflict;
  }

  /**
   * Resolves once the joins that discovery started at start() (static seeds) have
   * settled, at most 2 * streamTimeoutMs after start(); rejects with
   * MESH_ERR_NAME_CONFLICT if one found this member's name held by a live member
   * (this member has then stopped, without leaving). start() does not wait for it,
   * so a caller can subscribe to the events of that join first.
   */
  async ready(): Promise<void> {
    await this.start();
    const conflict = await this.#settled;
    if (conflict !== undefined) throw conflict;
  }

  /**
   * Joins the cluster through the given members: a full push-pull with each.
   * Resolves with how many answered; rejects with MESH_ERR_NODE_UNREACHABLE if none did.
   */
  async join(addresses: readonly Address[]): Promise<number> {
    if (!Array.isArray(addresses)) throw invalidArgument("addresses", "an array of { host, port }", addresses);
    const members = this.#members();
    if (this.#phase !== "running") throw new MeshError("MESH_ERR_NODE_STOPPED", "join() needs a running gossip member");
    const targets = addresses.filter((a) => !sameAddress(a, members.local.address));
    if (targets.length === 0) return 0;
    const results = await Promise.allSettled(targets.map((a) => this.#antiEntropy.pushPull(a, true)));
    const conflict = results.find(
      (r): r is PromiseRejectedResult =>
        r.status === "rejected" && r.reason instanceof MeshError && r.reason.code === "MESH_ERR_NAME_CONFLICT",
    );
    if (conflict !== undefined) throw this.#yieldName(conflict.reason as MeshError);
    const joined = results.filter((r) => r.status === "fulfilled").length;
    if (joined === 0) {
      const first = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `could not reach any of ${targets.length} address(es) to join`, {
        cause: first?.reason,
        details: { addresses: targets.map(addressKey) },
      });
    }
    return joined;
  }

  /**
   * Changes this member's capabilities and/or tags: a new metadata version and a
   * new incarnation, gossiped with its alive message (as a digest if too large).
   */
  updateMetadata(update: {
    readonly capabilities?: readonly string[];
    readonly tags?: Readonly<Record<string, string>>;
  }): void {
    if (typeof update !== "object" || update === null) throw invalidArgument("update", "an object", update);
    const capabilities =
      update.capabilities === undefined
        ? this.#metadata.capabilities
        : validateCapabilities("capabilities", update.capabilities);
    const tags = update.tags === undefined ? this.#metadata.tags : validateTags("tags", update.tags);
    const same =
      sameCapabilities(capabilities, this.#metadata.capabilities) &&
      JSON.stringify(tags) === JSON.stringify(this.#metadata.tags);
    if (same) return;
    this.#metadata = { capabilities, tags };
    if (this.#phase === "running") this.#members().updateLocalMetadata(capabilities, tags);
  }

  /**
   * Graceful leave: gossips that this member left (others record "left", not
   * "dead") and waits until that was sent its full retransmit count or
   * leaveTimeoutMs passed. The member keeps running until stop().
   */
  leave(): Promise<void> {
    if (this.#phase !== "running") return Promise.resolve();
    this.#leaving ??= this.#leave();
    return this.#leaving;
  }

  async #leave(): Promise<void> {
    const members = this.#members();
    const dead = members.leave();
    if (this.#liveCount() === 0) return;
    let done = ignore;
    const sent = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.#out.broadcast(dead.name, dead, () => done());
    this.#out.gossipRound();
    const started = this.#clock.now();
    const bound = this.config.leaveTimeoutMs;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(resolve, bound);
    });
    await Promise.race([sent, timeout]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    // sendPacket only hands datagrams to the socket; closing it right away can cancel
    // them (a real finding over UDP). One more gossip interval, within the bound, lets
    // them go out.
    const grace = Math.min(this.config.gossipIntervalMs, bound - (this.#clock.now() - started));
    if (grace > 0) await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, grace));
  }

  /** Leaves gracefully (if running), then stops timers, discovery and the transport. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#phase === "new") {
      this.#phase = "stopped";
      return;
    }
    await this.#starting?.catch(ignore);
    if (this.#phase === "running")
      await this.leave().catch((error) => this.#logger.warn("leave failed", { error: String(error) }));
    await this.#teardown();
  }

  /**
   * A join found this member's name held by a live member: this one is the newcomer
   * and yields. It stops without leaving (a "left" for this name would end the
   * holder's membership) and the join (and start(), when discovery started it) rejects.
   */
  #yieldName(error: MeshError): MeshError {
    if (this.#conflict === undefined) {
      this.#conflict = error;
      this.#stats.nameConflicts++;
      this.#logger.error("name conflict: a live member holds this name; stopping without leaving", {
        name: this.config.name,
        ...error.details,
      });
    }
    this.#stopping ??= this.#teardown();
    return this.#conflict;
  }

  async #teardown(): Promise<void> {
    this.#phase = "stopping";
    for (const t of this.#timers.values()) this.#clock.clearTimeout(t);
    this.#timers.clear();
    this.#prober.stop();
    this.#suspicions.cancelAll();
    this.#fetcher.stop();
    this.#out.clear();
    this.#abort.abort();
    await Promise.allSettled(this.#discovery.map((d) => d.stop()));
    await this.#transport.stop();
    this.#phase = "stopped";
  }

  stats(): GossipStatsSnapshot {
    const counts = { alive: 0, suspect: 0, dead: 0, left: 0 };
    if (this.#membership !== undefined) for (const r of this.#membership.records()) counts[r.state]++;
    return {
      ...this.#stats,
      dropped: { ...this.#stats.dropped },
      awarenessScore: this.#awareness.score,
      queuedBroadcasts: this.#out.queued,
      ...counts,
      transport: this.#transport.stats(),
    };
  }

  // --- receive paths: never throw out of here ---

  #onPacket(packet: Uint8Array, from: Address): void {
    if (this.#phase !== "running") return;
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += packet.length;
    const decoded = decodePacket(packet);
    if (!decoded.ok) {
      countDropped(this.#stats, decoded.reason);
      this.#dropLog.note(decoded.reason, { from: addressKey(from) });
      return;
    }
    for (const reason of decoded.dropped) countDropped(this.#stats, reason);
    for (const m of decoded.value) {
      try {
        this.#dispatch(m, from);
      } catch (error) {
        countDropped(this.#stats, "handler-error");
        this.#logger.error("gossip handler threw", { error: String(error), type: m.type });
      }
    }
  }

  #dispatch(m: PacketMessage, from: Address): void {
    const members = this.#members();
    switch (m.type) {
      case MessageType.ping:
        this.#prober.handlePing(m, from);
        break;
      case MessageType.indirectPing:
        this.#prober.handleIndirectPing(m, from);
        break;
      case MessageType.ack:
        this.#prober.handleAck(m.seq, from);
        // An answer from that very address: metadata may now be fetched from it.
        this.#fetcher.answeredFrom(from);
        break;
      case MessageType.nack:
        this.#prober.handleNack(m.seq, from);
        break;
      case MessageType.suspect:
        this.#answerStale(m, from);
        members.applySuspect(m);
        break;
      case MessageType.alive:
        members.applyAlive(m);
        break;
      case MessageType.dead:
        this.#answerStale(m, from);
        members.applyDead(m);
        break;
    }
  }

  /**
   * A suspicion or death of this member older than its current incarnation: the
   * sender has not heard the refutation yet (lost on a lossy network), so it gets
   * our current alive directly, not only when gossip happens to reach it.
   */
  #answerStale(m: SuspectMessage | DeadMessage, from: Address): void {
    const members = this.#members();
    const local = members.local;
    if (m.name !== local.name || m.incarnation >= local.incarnation || members.leaving) return;
    const alive = this.#out.encodeUpdate(members.localAlive());
    if (alive !== undefined) this.#out.send(from, [alive]);
  }

  async #onStream(request: Uint8Array, from: Address): Promise<Uint8Array> {
    if (this.#phase !== "running") throw new MeshError("MESH_ERR_NODE_STOPPED", "gossip member is not running");
    this.#stats.streamsServed++;
    const decoded = decodeStreamMessage(request);
    if (!decoded.ok) {
      countDropped(this.#stats, decoded.reason);
      this.#dropLog.note(decoded.reason, { from: addressKey(from), kind: "stream" });
      throw new MeshError("MESH_ERR_INVALID_ARGUMENT", `undecodable stream request (${decoded.reason})`);
    }
    const m = decoded.value;
    const members = this.#members();
    switch (m.type) {
      case MessageType.pushPull:
        return this.#antiEntropy.answer(m);
      case MessageType.metadataFetch: {
        const r = members.get(m.name);
        if (r === undefined || r.pendingMetadata !== undefined)
          throw new MeshError("MESH_ERR_INVALID_ARGUMENT", "no full metadata held for that member");
        return encodeStreamMessage({
          type: MessageType.metadataReply,
          name: r.name,
          incarnation: r.incarnation,
          metadata: r.metadata,
        });
      }
      case MessageType.streamPing:
        return this.#prober.handleStreamPing(m);
      default:
        countDropped(this.#stats, "unexpected-stream");
        throw new MeshError("MESH_ERR_INVALID_ARGUMENT", "unexpected stream message");
    }
  }

  // --- sending ---

  async #request(to: Address, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.#stats.streamRequests++;
    try {
      return await this.#transport.request(to, payload, { timeoutMs, signal: this.#abort.signal });
    } catch (error) {
      this.#stats.streamFailures++;
      throw error;
    }
  }

  // --- periodic work ---

  #every(key: string, firstMs: number, fn: () => void): void {
    const run = () => {
      if (this.#phase !== "running") return;
      fn();
      this.#timers.set(key, this.#clock.setTimeout(run, this.#period(key)));
    };
    this.#timers.set(key, this.#clock.setTimeout(run, firstMs));
  }

  #period(key: string): number {
    const c = this.config;
    if (key === GOSSIP) return c.gossipIntervalMs;
    if (key === RECONNECT) return c.reconnectIntervalMs;
    if (key === SWEEP) return Math.max(1, Math.min(SWEEP_EVERY_MS, c.deadMemberRetentionMs));
    return this.#antiEntropy.nextIntervalMs();
  }

  #sweep(): void {
    this.#members().sweep(this.config.deadMemberRetentionMs);
  }

  #onPeer(peer: DiscoveryPeer): void {
    if (this.#phase !== "running") return;
    const members = this.#members();
    if (peer.name !== undefined) {
      const known = members.get(peer.name);
      if (known !== undefined && (known === members.local || isLive(known.state))) return;
    }
    for (const r of members.records()) if (isLive(r.state) && sameAddress(r.address, peer.address)) return;
    const key = addressKey(peer.address);
    if (this.#joining.has(key) || this.#joining.size >= MAX_DISCOVERY_JOINS) return;
    this.#joining.add(key);
    const joining = this.join([peer.address])
      .catch((error) => this.#logger.debug("join of discovered peer failed", { peer: key, error: String(error) }))
      .finally(() => this.#joining.delete(key));
    this.#initialJoins?.push(joining);
  }

  /** Each discovery strategy's counters, by strategy name (a second strategy of a name gets "#2"). */
  discoveryStats(): Record<string, object> {
    const out: Record<string, object> = {};
    for (const d of this.#discovery) {
      if (typeof d.stats !== "function") continue;
      let key = d.name;
      for (let n = 2; key in out; n++) key = `${d.name}#${n}`;
      out[key] = d.stats();
    }
    return out;
  }

  // --- helpers ---

  #members(): Membership {
    if (this.#membership === undefined)
      throw new MeshError("MESH_ERR_NODE_STOPPED", "the gossip member is not started");
    return this.#membership;
  }

  #logChange(
    kind: MemberEventKind,
    name: string,
    address: Address,
    incarnation: number,
    before: string | undefined,
  ): void {
    if (kind === "updated" || name === this.config.name) return;
    if (kind === "joined") this.#stats.membersJoined++;
    else if (kind === "left") this.#stats.membersLeft++;
    else if (kind === "dead") this.#stats.membersDied++;
    const [level, message] = CHANGE_LOG[kind];
    this.#logger[level](message, { name, address: addressKey(address), incarnation, ...(before ? { before } : {}) });
  }

  #liveCount(): number {
    return this.#membership?.liveCount() ?? 1;
  }

  #effects(): MembershipEffects {
    const self = this.config.name;
    return {
      now: () => this.#clock.now(),
      broadcast: (name, message) => this.#out.broadcast(name, message),
      suspicionStarted: (record, from) => {
        this.#suspicions.start(record, from);
        this.#prober.suspicionStarted(record, from);
      },
      suspicionConfirmed: (name, from) => this.#suspicions.confirm(name, from),
      suspicionEnded: (name) => this.#suspicions.end(name),
      refuted: () => {
        this.#stats.refutations++;
        this.#logger.warn("refuting a suspicion or death of this member", {
          name: self,
          incarnation: this.#members().local.incarnation,
        });
        // Lifeguard: being suspected is a hint that we are the slow one.
        this.#awareness.applyDelta(1);
      },
      reassert: () => {
        if (!this.#out.has(self)) this.#out.broadcast(self, this.#members().localAlive());
      },
      digestOf: (metadata) => metadataDigest(metadata).digest,
      metadataAnnounced: (record) => this.#fetcher.fetch(record),
      added: (record) => this.#prober.add(record.name),
      refused: (m) => {
        this.#stats.membersRefused++;
        this.#dropLog.note("table-full", { name: m.name, maxMembers: this.config.maxMembers });
      },
      addressClaimed: (record, m) => this.#guard.addressClaimed(record, m),
      selfClaimed: (m) => this.#guard.selfClaimed(m),
      changed: (kind, record, previous) => {
        this.#logChange(kind, record.name, record.address, record.incarnation, previous?.state);
        emitMemberChange(this, kind, record, previous);
      },
      dropped: (reason) => countDropped(this.#stats, reason),
    };
  }
}

/**
 * Membership changes at a level an operator can act on: joins, leaves and refuted
 * suspicions are info (routine); a suspicion is info too (loss makes them routine,
 * and most are refuted), a death is warn (a member failed).
 */
const CHANGE_LOG: Readonly<Record<Exclude<MemberEventKind, "updated">, readonly ["info" | "warn", string]>> = {
  joined: ["info", "member joined"],
  left: ["info", "member left"],
  suspect: ["info", "member suspected"],
  alive: ["info", "member refuted its suspicion"],
  dead: ["warn", "member declared dead"],
};

/** Creates a gossip member; call start() and then join() (or give it discovery). */
export function createGossip(init: GossipInit, components: GossipComponents): Gossip {
  return new Gossip(init, components);
}
