import { type Clock, type Random, shuffle, type TimerHandle } from "@mesh/interface";
import type { GossipConfig } from "../config.js";
import { countDropped, type GossipStats } from "../gossip-stats.js";
import { isLive, type MemberRecord, sameAddress } from "../members/member.js";
import type { Membership } from "../members/membership.js";
import type { Address } from "../transport/transport.js";
import { decodeStreamMessage } from "../wire/decode.js";
import { encodePacketMessage, encodeStreamMessage } from "../wire/encode.js";
import { MessageType } from "../wire/message-type.js";
import type { IndirectPingMessage, PingMessage, StreamPingMessage } from "../wire/messages.js";
import type { Awareness } from "./awareness.js";
import { ProbeOrder } from "./probe-order.js";
import { RelayEvidence } from "./relay-evidence.js";
import { RelayTrust } from "./relay-trust.js";
import { RingSuccessor } from "./ring-successor.js";

/** What the prober needs from the member that runs it. */
export interface ProberHost {
  readonly config: GossipConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly awareness: Awareness;
  readonly membership: Membership;
  readonly stats: GossipStats;
  isRunning(): boolean;
  /** Sends `primary` plus piggybacked broadcasts in one datagram; `toName` is the recipient when known. */
  send(to: Address, primary: Uint8Array[], toName?: string): void;
  request(to: Address, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
}

interface AckWaiter {
  /** `from` is where the ack came from (undefined: over the stream fallback, from the target itself). */
  onAck(from: Address | undefined): void;
  onNack(from: Address | undefined): void;
}

/** An indirect-probe relay asked during one probe. */
interface Relay {
  readonly name: string;
  readonly address: Address;
  answered: boolean;
}

const ignore = (): void => {};

/**
 * Members that have never answered this one (relay-trust.ts: "unproven") get one
 * probe in this many, outside the round. Anyone can gossip "alive" members that
 * never answer and refute their suspicions for them; in the round (and as buddy
 * suspects) they took nearly every probe: with 40 fakes beside 8 real members, a
 * real crash waited up to 31 T for its first probe (a quarter of the seeds missed
 * kill -> dead within 20 T). A real member answers its first probe and is back in
 * the round; one whose first probe was lost is still probed, only less often.
 */
const UNPROVEN_EVERY = 4;

/**
 * When an indirect prober sends its nack. The requester sent the indirect ping
 * probeTimeout into its period and decides at the period's end, so a nack sent
 * after a full probeTimeout (memberlist) arrives after the decision whenever
 * interval <= 2 * timeout (the LAN preset: 500 + 500 >= 1000 ms), and every probe
 * of a member that is really dead would count against the prober's own health.
 * The nack goes at 80% of the time left in the requester's period instead, capped
 * at probeTimeout.
 */
export function relayNackDelayMs(probeIntervalMs: number, probeTimeoutMs: number): number {
  return Math.max(1, Math.min(probeTimeoutMs, Math.floor((probeIntervalMs - probeTimeoutMs) * 0.8)));
}

/**
 * SWIM failure detection with Lifeguard (memberlist probeNode): one member per
 * protocol period, in shuffled round-robin order; a ping, then after the probe
 * timeout k indirect pings (and a stream ping), then at the end of the period a
 * suspicion if nothing acked. Local health scales the period.
 */
export class Prober {
  readonly #h: ProberHost;
  readonly #order: ProbeOrder;
  readonly #acks = new Map<number, AckWaiter>();
  #seq = 0;
  #timer: TimerHandle | undefined;
  /** When this member last probed each live member (the buddy priority; the round's "not twice in a row"). */
  readonly #lastProbed = new Map<string, number>();
  #sinceSuspect = 1;
  /**
   * When each member last answered a request of ours (an ack, or a nack or relayed
   * ack as our relay). The round passes over a member that answered less than a
   * period ago, as over one probed less than a period ago: it has just shown that
   * it is alive. After 7 of 10 crashed together, the survivors relayed every probe
   * for each other, yet took up to half of their own probes for each other once few
   * victims were left unsuspected (p99 all dead 18.9 T without this rule, 13.9 T with it).
   */
  readonly #answeredAt = new Map<string, number>();
  /** When each member last pinged this one from the address we hold for it (relay choice, see indirect). */
  readonly #pingedAt = new Map<string, number>();
  /** When this member last sent each suspect a buddy notice (several suspects at once). */
  readonly #noticed = new Map<string, number>();
  /** Suspects seen by the last buddy scan (0 without the buddy). */
  #suspects = 0;
  readonly #trust = new RelayTrust();
  readonly #evidence = new RelayEvidence();
  /** A probe awaits its ack or its decision. */
  #inFlight = false;
  /** The next period came due before the last probe was decided: it starts right after. */
  #tickWaiting = false;
  /** When this member last probed each unproven member (see UNPROVEN_EVERY). */
  readonly #unprovenProbed = new Map<string, number>();
  #sinceUnproven = 0;
  #ring: RingSuccessor | undefined;
  /** Probes since the last one to the ring successor (see ring-successor.ts). */
  #sinceSuccessor = 1;

  constructor(host: ProberHost) {
    this.#h = host;
    this.#order = new ProbeOrder(host.random);
  }

  /** Starts probing after a random stagger, so members started together do not probe in lockstep. */
  start(): void {
    this.#timer = this.#h.clock.setTimeout(
      () => this.#tick(),
      Math.floor(this.#h.random.next() * this.#h.config.probeIntervalMs),
    );
  }

  stop(): void {
    if (this.#timer !== undefined) this.#h.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#acks.clear();
    this.#inFlight = false;
    this.#tickWaiting = false;
  }

  /**
   * True if the last request this member sent `name` (a probe, a relay request)
   * went unanswered, or if `name` has never answered us: copies of updates sent to
   * it do not count against their budget. Fakes get few probes (UNPROVEN_EVERY),
   * so many were never tried; counted copies to them left a real member without
   * the news of a death (waiting out its own unconfirmed suspicion, 21 T).
   */
  isSilent(name: string): boolean {
    return this.#trust.isSilent(name) || this.#trust.isUnheard(name);
  }

  /** True if the last request this member sent `name` went unanswered (the gossip fan-out goes elsewhere first). */
  isUnanswered(name: string): boolean {
    return this.#trust.isSilent(name);
  }

  /** A member joined the table: probe it within the current round. */
  add(name: string): void {
    this.#order.add(name);
  }

  handlePing(m: PingMessage, from: Address): void {
    if (m.target !== this.#h.membership.local.name) {
      // Meant for a previous holder of this address: answering would vouch for the wrong member.
      countDropped(this.#h.stats, "misdirected");
      return;
    }
    // A member that pings us from the address we hold for it exists: it is not one
    // of the fake "alive" members anyone can gossip (relay-trust.ts, "unproven"). In a
    // young cluster a member not yet probed by us went unproven after a partition
    // and lost its place in the round.
    const source = this.#h.membership.get(m.source);
    if (source !== undefined && sameAddress(source.address, from)) {
      this.#trust.heard(m.source);
      this.#pingedAt.set(m.source, this.#h.clock.now());
    }
    // No recipient name: the exemption is for copies to members that may be dead; a
    // pinger has just shown it is alive, and leaving its copies uncounted kept updates
    // cycling longer (membership benchmark, N = 50: p99 kill -> dead about 1 T later).
    this.#h.send(from, [encodePacketMessage({ type: MessageType.ack, seq: m.seq })]);
  }

  handleAck(seq: number, from?: Address): void {
    this.#acks.get(seq)?.onAck(from);
  }

  handleNack(seq: number, from?: Address): void {
    this.#acks.get(seq)?.onNack(from);
  }

  /** Probes a target for a requester; acks are relayed, and with Lifeguard a nack reports a timeout. */
  handleIndirectPing(m: IndirectPingMessage, from: Address): void {
    const h = this.#h;
    const seq = this.#nextSeq();
    h.send(
      m.targetAddress,
      [encodePacketMessage({ type: MessageType.ping, seq, target: m.target, source: h.membership.local.name })],
      m.target,
    );
    let acked = false;
    const nackTimer = m.wantNack
      ? h.clock.setTimeout(
          () => {
            if (acked || !h.isRunning()) return;
            h.stats.nacksSent++;
            h.send(from, [encodePacketMessage({ type: MessageType.nack, seq: m.seq })]);
          },
          relayNackDelayMs(h.config.probeIntervalMs, h.config.probeTimeoutMs),
        )
      : undefined;
    // A late ack is still relayed until the probe timeout: it can beat the requester's deadline.
    const expiry = h.clock.setTimeout(() => {
      this.#acks.delete(seq);
      if (!acked && h.isRunning()) this.#relayConfirms(m);
    }, h.config.probeTimeoutMs);
    this.#acks.set(seq, {
      onAck: () => {
        if (acked) return;
        acked = true;
        this.#acks.delete(seq);
        h.clock.clearTimeout(expiry);
        if (nackTimer !== undefined) h.clock.clearTimeout(nackTimer);
        h.send(from, [encodePacketMessage({ type: MessageType.ack, seq: m.seq })]);
      },
      onNack: ignore,
    });
  }

  /**
   * A relay's ping of a member we already suspect went unanswered: that is our own
   * independent evidence, so it confirms the suspicion (dogpile), as a failed probe
   * of ours would. It never starts one: a requester cannot make us accuse anyone,
   * and only a ping to the address we hold for the member counts. After a
   * correlated failure the survivors' own probes are spread over many suspects, and
   * each suspicion waited for them (one confirmation of k = 2: 11 T instead of 4 T).
   */
  #relayConfirms(m: IndirectPingMessage): void {
    const h = this.#h;
    if (!h.config.lifeguardDogpile) return;
    const r = h.membership.get(m.target);
    if (r === undefined || !isLive(r.state) || !sameAddress(r.address, m.targetAddress)) return;
    if (r.state === "alive") {
      // Not suspected here yet: the requester's suspicion is probably on its way (relay-evidence.ts).
      this.#evidence.missed(r.name, r.incarnation, h.clock.now(), h.membership.size);
      return;
    }
    h.membership.applySuspect({
      type: MessageType.suspect,
      name: r.name,
      incarnation: r.incarnation,
      from: h.membership.local.name,
    });
  }

  /**
   * Someone else's suspicion of `record` has just started here: if our relay ping
   * of it went unanswered lately, confirm it. Within two periods of the miss: the
   * requester suspects at the end of its period (stretched at most to twice the
   * interval while its health score is 1), and the news takes a gossip round more.
   * On the next turn, so the confirmation is queued after the suspicion it confirms
   * (a newer message about the same member replaces the older one in the queue).
   */
  suspicionStarted(record: MemberRecord, from: string): void {
    const h = this.#h;
    if (!h.config.lifeguardDogpile || from === h.membership.local.name) return;
    const { name, incarnation } = record;
    if (!this.#evidence.take(name, incarnation, h.clock.now() - 2 * h.config.probeIntervalMs)) return;
    h.clock.setTimeout(() => {
      const r = h.membership.get(name);
      if (!h.isRunning() || r?.state !== "suspect" || r.incarnation !== incarnation) return;
      h.membership.applySuspect({ type: MessageType.suspect, name, incarnation, from: h.membership.local.name });
    }, 0);
  }

  /** The stream fallback: answer a ping that came over a reliable stream. */
  handleStreamPing(m: StreamPingMessage): Uint8Array {
    if (m.target !== this.#h.membership.local.name) throw new Error("stream ping for another member");
    return encodeStreamMessage({ type: MessageType.ack, seq: m.seq });
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) % 0x1_0000_0000;
    return this.#seq;
  }

  #tick(): void {
    const h = this.#h;
    if (!h.isRunning()) return;
    // The last probe ends at the same instant as its period, and its decision runs a
    // turn later (see the deadline timer): a new round shuffled before it would still
    // hold its target as alive and could probe it again first. A partitioned member
    // probed members it was about to suspect twice in a row, a stretched period lost
    // each time (1 | 4: the last member suspected 4 T late). memberlist's probe loop
    // decides before it probes again; so does this one.
    if (this.#inFlight) {
      this.#tickWaiting = true;
      return;
    }
    // Lifeguard: a member that sees signs of its own slowness probes less often.
    const intervalMs = h.awareness.scale(h.config.probeIntervalMs);
    this.#timer = h.clock.setTimeout(() => this.#tick(), intervalMs);
    const local = h.membership.local;
    // Buddy, strengthened: every other probe goes to the suspect this member probed
    // least recently, so a suspect hears of its suspicion (and refutes) within a few
    // periods even when the gossip about it was lost, e.g. across a partition that
    // has just healed. Round-robin waits up to n periods; the suspicion may not.
    const due = h.config.lifeguardBuddy ? this.#suspectDue(intervalMs) : undefined;
    // With several suspects at once (a correlated failure, a partition), the buddy
    // sends the suspect noticed least recently its suspicion in a datagram of its own
    // (it refutes if it is alive), and the period's probe goes to the round. The
    // buddy's probes once took one period in three: after 7 of 10 crashed, the
    // survivors spent them on members already suspected (their suspicions are
    // confirmed by the relays, relay-evidence.ts) and found the last ones late
    // (p99 all dead 17.1 T with the probes, 13.9 T with the notices).
    if (this.#suspects >= 2) this.#notice(intervalMs);
    const suspect = this.#suspects >= 2 || this.#sinceSuspect < 1 ? undefined : due;
    this.#sinceSuspect = suspect !== undefined ? 0 : this.#sinceSuspect + 1;
    if (suspect !== undefined) {
      this.#probe(suspect, intervalMs);
      return;
    }
    const unproven = this.#sinceUnproven >= UNPROVEN_EVERY - 1 ? this.#unprovenDue() : undefined;
    this.#sinceUnproven = unproven !== undefined ? 0 : this.#sinceUnproven + 1;
    if (unproven !== undefined) {
      this.#probe(unproven, intervalMs);
      return;
    }
    // With the buddy and several suspects at once (a correlated failure, a
    // partition), the suspects get their share of probes above: the round goes over
    // the members still alive to us, so the ones not yet suspected are found sooner.
    // With a single suspect, the round still includes it (memberlist): leaving it
    // out made kill -> dead at N = 50 slower at p99 (13.7 T instead of 11.9 T).
    const inRound = this.#suspects >= 2 ? (s: MemberRecord["state"]) => s === "alive" : isLive;
    const trust = this.#trust;
    const candidate = (r: MemberRecord | undefined): r is MemberRecord =>
      r !== undefined && r !== local && inRound(r.state) && !trust.isUnproven(r.name);
    // Every other of these probes goes to our successor on the ring, so every member
    // is probed by its predecessor at least once in two periods (ring-successor.ts);
    // the round-robin takes the rest and leaves the successor out. The ring is over
    // the members alive to us: a suspect gets the buddy's probes, and probing it
    // again at once (it was just found silent) wasted a period. Not with several
    // suspects at once (a correlated failure): the round over the members still alive
    // to us finds the rest, and a successor that is one of the survivors would take
    // half the probes (7 of 10 crashed: p50 all dead 13.8 T with the ring slot, 12.5 T
    // without; the 19 T test bound failed 1 seed in 12 with it, none of 40 without).
    const successor = this.#suspects >= 2 ? undefined : this.#successor((r) => candidate(r) && r.state === "alive");
    if (successor !== undefined && this.#sinceSuccessor >= 1) {
      this.#sinceSuccessor = 0;
      this.#probe(successor, intervalMs);
      return;
    }
    this.#sinceSuccessor++;
    // Not a member probed less than a period ago (by the ring or the buddy slot, or
    // as the last of the previous round): the probe would tell nothing new, and a
    // partitioned member lost a stretched period each time it probed a member it
    // had just suspected.
    const recent = h.clock.now() - intervalMs;
    const name = this.#order.next(
      (n) =>
        n !== successor?.name &&
        candidate(h.membership.get(n)) &&
        !((this.#lastProbed.get(n) ?? -1) > recent) &&
        !((this.#answeredAt.get(n) ?? Number.NEGATIVE_INFINITY) > recent),
      () => {
        const names: string[] = [];
        for (const r of h.membership.records()) if (candidate(r)) names.push(r.name);
        return names;
      },
    );
    // Nobody else left in the round (the successor is the only one, or a lone
    // survivor): probe the successor, or a suspect.
    const target = name === undefined ? (successor ?? due ?? this.#unprovenDue()) : h.membership.get(name);
    if (target !== undefined) this.#probe(target, intervalMs);
  }

  /** This member's successor on the ring among the members `candidate` accepts. */
  #successor(candidate: (r: MemberRecord) => boolean): MemberRecord | undefined {
    const m = this.#h.membership;
    const self = m.local.name;
    if (this.#ring === undefined || this.#ring.self !== self) this.#ring = new RingSuccessor(self);
    this.#ring.trim(2 * m.size + 16);
    const names: string[] = [];
    for (const r of m.records()) if (candidate(r)) names.push(r.name);
    const name = this.#ring.successor(names);
    return name === undefined ? undefined : m.get(name);
  }

  /**
   * The buddy without a probe: the suspect this member has probed or noticed least
   * recently (not within the last period) gets a suspect message about itself.
   */
  #notice(intervalMs: number): void {
    const h = this.#h;
    const recent = h.clock.now() - intervalMs;
    let best: MemberRecord | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const r of h.membership.records()) {
      if (r.state !== "suspect" || this.#trust.isUnproven(r.name)) continue;
      const at = Math.max(this.#lastProbed.get(r.name) ?? -1, this.#noticed.get(r.name) ?? -1);
      if (at > recent) continue;
      const since = at < r.stateChangedAt ? Number.NEGATIVE_INFINITY : at;
      if (since < bestAt) {
        best = r;
        bestAt = since;
      }
    }
    if (best === undefined) return;
    this.#noticed.set(best.name, h.clock.now());
    if (this.#noticed.size > 2 * h.membership.size) {
      for (const name of this.#noticed.keys())
        if (h.membership.get(name)?.state !== "suspect") this.#noticed.delete(name);
    }
    const { name, incarnation, address } = best;
    h.send(
      address,
      [encodePacketMessage({ type: MessageType.suspect, name, incarnation, from: h.membership.local.name })],
      name,
    );
  }

  /**
   * The suspect probed least recently by this member (one not probed since it became
   * suspect first), leaving out one probed less than a period ago: the failed probe
   * that has just raised a suspicion told the suspect nothing a probe now would, and
   * probing it again at once took a period from the round (a partitioned member found
   * the last of the other side one stretched period later).
   */
  #suspectDue(intervalMs: number): MemberRecord | undefined {
    let best: MemberRecord | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    this.#suspects = 0;
    const recent = this.#h.clock.now() - intervalMs;
    for (const r of this.#h.membership.records()) {
      if (r.state !== "suspect") continue;
      // Counted even if it never answered us: in a young cluster most members have
      // not, and after 7 of 10 crashed the survivors saw one suspect or none of
      // their own, kept the ring slot for each other and found the rest late.
      this.#suspects++;
      if (this.#trust.isUnproven(r.name)) continue;
      const probedAt = this.#lastProbed.get(r.name);
      if (probedAt !== undefined && probedAt > recent) continue;
      const at = probedAt === undefined || probedAt < r.stateChangedAt ? Number.NEGATIVE_INFINITY : probedAt;
      if (at < bestAt) {
        best = r;
        bestAt = at;
      }
    }
    return best;
  }

  /** The live member that has never answered us and that this member probed least recently. */
  #unprovenDue(): MemberRecord | undefined {
    const h = this.#h;
    let best: MemberRecord | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const r of h.membership.records()) {
      if (r === h.membership.local || !isLive(r.state) || !this.#trust.isUnproven(r.name)) continue;
      const at = this.#unprovenProbed.get(r.name) ?? Number.NEGATIVE_INFINITY;
      if (at < bestAt) {
        best = r;
        bestAt = at;
      }
    }
    return best;
  }

  #probe(target: MemberRecord, intervalMs: number): void {
    const h = this.#h;
    this.#lastProbed.set(target.name, h.clock.now());
    this.#trust.prune((n) => {
      const r = h.membership.get(n);
      return r !== undefined && isLive(r.state);
    });
    if (this.#trust.isUnproven(target.name)) this.#unprovenProbed.set(target.name, h.clock.now());
    else this.#unprovenProbed.delete(target.name);
    if (this.#unprovenProbed.size > 2 * h.membership.size) {
      for (const name of this.#unprovenProbed.keys())
        if (!this.#trust.isUnproven(name)) this.#unprovenProbed.delete(name);
    }
    for (const times of [this.#lastProbed, this.#answeredAt, this.#pingedAt]) {
      if (times.size <= 2 * h.membership.size) continue;
      for (const name of times.keys()) if (!isLive(h.membership.get(name)?.state ?? "dead")) times.delete(name);
    }
    const seq = this.#nextSeq();
    const { name, incarnation, address } = target;
    const self = h.membership.local.name;
    h.stats.probes++;
    const primary = [encodePacketMessage({ type: MessageType.ping, seq, target: name, source: self })];
    if (h.config.lifeguardBuddy && target.state === "suspect") {
      // Lifeguard buddy: the suspect hears of its suspicion from us now, not only when gossip reaches it.
      primary.push(encodePacketMessage({ type: MessageType.suspect, name, incarnation, from: self }));
    }
    h.send(address, primary, name);
    this.#inFlight = true;
    const deadline = h.clock.now() + intervalMs;
    let done = false;
    let relays: Relay[] = [];
    let yieldTimer: TimerHandle | undefined;
    const finish = (): void => {
      done = true;
      this.#acks.delete(seq);
      h.clock.clearTimeout(indirectTimer);
      h.clock.clearTimeout(deadlineTimer);
      if (yieldTimer !== undefined) h.clock.clearTimeout(yieldTimer);
    };
    const relayAt = (from: Address | undefined): Relay | undefined =>
      from === undefined ? undefined : relays.find((r) => sameAddress(r.address, from));
    this.#acks.set(seq, {
      onAck: (from) => {
        if (done) return;
        finish();
        h.awareness.applyDelta(-1);
        const relay = relayAt(from);
        if (relay !== undefined) this.#answered(relay.name);
        if (from === undefined || sameAddress(from, address)) this.#answered(name);
        this.#decided();
      },
      onNack: (from) => {
        const relay = relayAt(from);
        if (relay === undefined || relay.answered) return;
        relay.answered = true;
        this.#answered(relay.name);
        h.stats.nacksReceived++;
      },
    });
    const indirectTimer = h.clock.setTimeout(() => {
      if (done || !h.isRunning()) return;
      relays = this.#indirect(seq, name, address);
      if (h.config.streamFallbackPing) this.#streamPing(seq, name, address, deadline - h.clock.now());
    }, h.config.probeTimeoutMs);
    const decide = (): void => {
      if (done) return;
      finish();
      if (!h.isRunning()) return;
      if (h.config.lifeguardAwareness && h.clock.now() - deadline > h.config.probeTimeoutMs) {
        // Local health: this timer ran far past its deadline, so our event loop was
        // stalled and the ack may be sitting unread. The probe proves nothing about
        // the target; it says we are slow.
        h.stats.probesInconclusive++;
        h.awareness.applyDelta(1);
        this.#decided();
        return;
      }
      h.awareness.applyDelta(this.#failedProbeDelta(name, relays));
      h.stats.probesFailed++;
      h.membership.applySuspect({ type: MessageType.suspect, name, incarnation, from: self });
      // This probe is our word on the suspicion: the buddy need not hurry back to it.
      if (h.membership.get(name)?.state === "suspect") this.#lastProbed.set(name, h.clock.now());
      this.#decided();
    };
    // Local health: Node runs due timers before it reads sockets, so after a stall of
    // our own event loop, even one far shorter than the probe timeout, the ack may be
    // waiting unread. One more turn (a 0 ms timer runs after the poll phase) reads it.
    const deadlineTimer = h.clock.setTimeout(() => {
      if (done) return;
      if (h.config.lifeguardAwareness) yieldTimer = h.clock.setTimeout(decide, 0);
      else decide();
    }, intervalMs);
  }

  #answered(name: string): void {
    this.#trust.answered(name);
    this.#answeredAt.set(name, this.#h.clock.now());
  }

  /** The probe in flight is decided: a period that came due meanwhile starts now. */
  #decided(): void {
    this.#inFlight = false;
    if (!this.#tickWaiting) return;
    this.#tickWaiting = false;
    this.#tick();
  }

  /**
   * What a failed probe adds to the local health score (Lifeguard). Missing nacks
   * mean our own messages are not getting through, but only if the relays were
   * healthy, and only if none of them answered: one nack shows that our messages
   * get through. A relay that misses its nack loses our trust, so its silence
   * counts once until it answers again. At most +1 per probe (the Lifeguard
   * paper's "probe with missed nack"; memberlist adds one per missing nack, so a
   * few crashed or fake relays saturated the score). With no relay to compare
   * with, the probe says little about us: it counts only if the target had
   * answered us until now.
   */
  #failedProbeDelta(target: string, relays: readonly Relay[]): number {
    const targetWasTrusted = this.#trust.silent(target);
    if (!this.#h.config.lifeguardNack || relays.length === 0) return targetWasTrusted ? 1 : 0;
    // If any relay answered, our messages get through: the silent ones are the
    // suspects, not us. Only when every trusted relay fell silent does it count.
    let answered = false;
    let newlySilent = false;
    for (const r of relays) {
      if (r.answered) answered = true;
      else if (this.#trust.silent(r.name)) newlySilent = true;
    }
    return !answered && newlySilent ? 1 : 0;
  }

  /**
   * Sends k indirect pings through random alive members that have answered us
   * (never through a member we have not heard from: it may not exist); returns them.
   */
  #indirect(seq: number, target: string, targetAddress: Address): Relay[] {
    const h = this.#h;
    // Members that answered us or pinged us within the last two periods first (in
    // random order): they were alive a moment ago, so their nacks say whether our
    // messages get through, and their own pings of the target can confirm its
    // suspicion (relay-evidence.ts). After a correlated failure most members that
    // still look alive are gone: relays picked among them all missed their nacks (a
    // point against our own health for the crash of others, half-speed probing), and
    // a survivor that had never answered a request of ours was never asked, so the
    // suspicions raised by our probes waited for its own probe of the same member
    // (7 of 10 crashed: up to 10 T from suspicion to death instead of 4 T). A member
    // that pinged us recently from its own address exists: it is no fake.
    const since = h.clock.now() - 2 * h.config.probeIntervalMs;
    const recent = (r: MemberRecord): boolean =>
      (this.#answeredAt.get(r.name) ?? Number.NEGATIVE_INFINITY) > since ||
      (this.#pingedAt.get(r.name) ?? Number.NEGATIVE_INFINITY) > since;
    const peers: MemberRecord[] = [];
    for (const r of h.membership.records()) {
      if (r === h.membership.local || r.name === target || r.state !== "alive") continue;
      if (this.#trust.has(r.name) || recent(r)) peers.push(r);
    }
    shuffle(h.random, peers);
    peers.sort((a, b) => (recent(a) ? 0 : 1) - (recent(b) ? 0 : 1));
    const wantNack = h.config.lifeguardNack;
    const relays: Relay[] = [];
    for (const peer of peers.slice(0, h.config.indirectChecks)) {
      h.stats.indirectProbes++;
      relays.push({ name: peer.name, address: peer.address, answered: false });
      h.send(peer.address, [
        encodePacketMessage({ type: MessageType.indirectPing, seq, target, targetAddress, wantNack }),
      ]);
    }
    return relays;
  }

  /** memberlist's TCP ping: a member whose datagrams are lost but whose streams work is not suspected. */
  #streamPing(seq: number, target: string, address: Address, timeoutMs: number): void {
    if (timeoutMs <= 0) return;
    const h = this.#h;
    const payload = encodeStreamMessage({ type: MessageType.streamPing, seq, target });
    h.request(address, payload, timeoutMs).then((reply) => {
      const d = decodeStreamMessage(reply);
      if (d.ok && d.value.type === MessageType.ack && d.value.seq === seq && this.#acks.has(seq)) {
        h.stats.fallbackAcks++;
        this.handleAck(seq);
      }
    }, ignore);
  }
}
