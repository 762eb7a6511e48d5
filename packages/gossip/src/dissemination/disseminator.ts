import { shuffle } from "@mesh/interface";
import type { GossipHost } from "../gossip-host.js";
import { countDropped } from "../gossip-stats.js";
import { isLive, type MemberRecord } from "../members/member.js";
import type { Address, Transport } from "../transport/transport.js";
import { compoundOverhead, packCompound } from "../wire/compound.js";
import { encodePacketMessage } from "../wire/encode.js";
import { WIRE_LIMITS } from "../wire/limits.js";
import { MessageType } from "../wire/message-type.js";
import type { AliveMessage, DeadMessage, SuspectMessage } from "../wire/messages.js";
import { BroadcastQueue } from "./broadcast-queue.js";
import { metadataDigest, metadataSize } from "./metadata-digest.js";

/**
 * Everything a member sends as datagrams goes through here: each packet carries
 * as many queued updates as fit in maxPacketSize, and a gossip round sends the
 * rest to a few random members.
 */
export class Disseminator {
  readonly #h: GossipHost;
  readonly #transport: Transport;
  readonly #queue: BroadcastQueue;
  readonly #silent: (name: string) => boolean;
  readonly #unanswered: (name: string) => boolean;

  /**
   * `silent(name)`: copies to `name` do not count (it may be gone, or never answered us);
   * `unanswered(name)`: the last request sent to `name` went unanswered.
   */
  constructor(
    host: GossipHost,
    transport: Transport,
    clusterSize: () => number,
    silent: (name: string) => boolean = () => false,
    unanswered: (name: string) => boolean = () => false,
  ) {
    this.#h = host;
    this.#silent = silent;
    this.#unanswered = unanswered;
    this.#transport = transport;
    this.#queue = new BroadcastQueue(host.config.retransmitMult, clusterSize);
  }

  get queued(): number {
    return this.#queue.size;
  }

  has(name: string): boolean {
    return this.#queue.has(name);
  }

  clear(): void {
    this.#queue.clear();
  }

  /** Queues an update about `name`. */
  broadcast(name: string, message: AliveMessage | SuspectMessage | DeadMessage, onDone?: () => void): void {
    const bytes = this.encodeUpdate(message);
    if (bytes !== undefined) this.#queue.enqueue(name, bytes, onDone);
  }

  /** Encodes an update for a datagram: metadata too large for one goes as its digest. */
  encodeUpdate(message: AliveMessage | SuspectMessage | DeadMessage): Uint8Array | undefined {
    let m = message;
    if (
      m.type === MessageType.alive &&
      !("digest" in m.metadata) &&
      metadataSize(m.metadata) > this.#h.config.metadataInlineMaxBytes
    )
      m = { ...m, metadata: metadataDigest(m.metadata) };
    const bytes = encodePacketMessage(m);
    if (bytes.length + compoundOverhead(2) > this.#transport.maxPacketSize) {
      countDropped(this.#h.stats, "oversize-outgoing");
      return undefined;
    }
    return bytes;
  }

  /**
   * One datagram: the primary messages plus as many piggybacked broadcasts as fit.
   * `toName`, the recipient's member name when known, keeps updates about the
   * recipient itself from using up their retransmit count (see BroadcastQueue.take);
   * a copy to a member we suspect, or that did not answer our last request,
   * counts for none of them.
   */
  send(to: Address, primary: Uint8Array[], toName?: string): void {
    let used = compoundOverhead(WIRE_LIMITS.maxCompoundMessages);
    for (const m of primary) used += m.length;
    const room = this.#transport.maxPacketSize - used;
    if (room < 0) {
      countDropped(this.#h.stats, "oversize-outgoing");
      return;
    }
    const counted = toName === undefined || this.#counts(toName, this.#h.membership.get(toName)?.state);
    for (const extra of this.#queue.take(room, WIRE_LIMITS.maxCompoundMessages - primary.length, toName, counted))
      primary.push(extra);
    this.sendPacket(to, packCompound(primary));
  }

  sendPacket(to: Address, packet: Uint8Array): void {
    const stats = this.#h.stats;
    stats.packetsSent++;
    stats.bytesSent += packet.length;
    if (packet.length > stats.maxPacketBytes) stats.maxPacketBytes = packet.length;
    this.#transport.sendPacket(to, packet);
  }

  /**
   * Sends queued broadcasts to gossipNodes random live members. A member declared
   * dead in the last gossipToTheDeadMs also gets, one per round, the news of its own
   * death, so that if it is alive after all it can refute. memberlist instead counts
   * dead members among the fan-out targets, which spends the small retransmit budget
   * (4 sends per update at n = 5) on members that are mostly really gone.
   * Copies to suspects, and to members that left our last request unanswered, go
   * out but do not count against an update's retransmit budget: after a
   * correlated failure most fan-out targets are gone, and counted copies to them
   * left survivors without the news, waiting out their own unconfirmed
   * suspicions (24 T instead of 4 T).
   */
  gossipRound(): void {
    const h = this.#h;
    const now = h.clock.now();
    const members = h.membership;
    // The fan-out goes to alive members that answered our last request first, the
    // rest (suspects, members whose last request went unanswered) only when too few
    // of those are left. After 7 of 10 crashed, the fan-out went to all 8 members
    // still live to a survivor, 6 of them gone: one of the two other survivors got no
    // copy of a death for 7 T, while counted copies to the other used up the budget.
    // With Lifeguard's buddy a suspect still hears of its suspicion from the buddy
    // (and piggybacked on the answers to its own probes); without it, gossip is how
    // it hears, so suspects stay in the fan-out (plain SWIM: a member stalled for 3 s
    // was declared dead 110 times in 10,000 periods instead of 4 times without it).
    const suspectsFirst = !h.config.lifeguardBuddy;
    const targets: MemberRecord[] = [];
    const others: MemberRecord[] = [];
    const recentlyDead: MemberRecord[] = [];
    for (const r of members.records()) {
      if (r === members.local) continue;
      if (r.state === "alive" ? !this.#unanswered(r.name) : suspectsFirst && r.state === "suspect") targets.push(r);
      else if (isLive(r.state)) others.push(r);
      else if (r.state === "dead" && now - r.stateChangedAt < h.config.gossipToTheDeadMs) recentlyDead.push(r);
    }
    const dead = recentlyDead[Math.floor(h.random.next() * recentlyDead.length)];
    if (dead !== undefined) {
      const news: DeadMessage = {
        type: MessageType.dead,
        name: dead.name,
        incarnation: dead.incarnation,
        from: h.config.name,
      };
      this.sendPacket(dead.address, encodePacketMessage(news));
    }
    if (this.#queue.size === 0) return;
    if (targets.length < h.config.gossipNodes) {
      this.#pickRandom(others, Math.min(others.length, h.config.gossipNodes - targets.length));
      this.#pickRandom(targets, targets.length);
      targets.push(...others);
    }
    const fanOut = Math.min(targets.length, h.config.gossipNodes);
    this.#pickRandom(targets, fanOut);
    const room = this.#transport.maxPacketSize - compoundOverhead(WIRE_LIMITS.maxCompoundMessages);
    for (let i = 0; i < fanOut; i++) {
      const target = targets[i] as MemberRecord;
      const messages = this.#queue.take(
        room,
        WIRE_LIMITS.maxCompoundMessages,
        target.name,
        this.#counts(target.name, target.state),
      );
      if (messages.length === 0) break;
      this.sendPacket(target.address, packCompound(messages));
    }
  }

  /** Whether a copy to `name` counts against an update's retransmit budget. */
  #counts(name: string, state: MemberRecord["state"] | undefined): boolean {
    return state === "alive" && !this.#silent(name);
  }

  /** Moves k random elements to the front (a partial Fisher–Yates). */
  #pickRandom<T>(items: T[], k: number): void {
    const random = this.#h.random;
    if (k >= items.length) {
      shuffle(random, items);
      return;
    }
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random.next() * (items.length - i));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
  }
}
