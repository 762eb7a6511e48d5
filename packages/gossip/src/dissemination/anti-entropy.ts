import { MeshError } from "@mesh/interface";
import type { GossipHost } from "../gossip-host.js";
import { countDropped } from "../gossip-stats.js";
import type { MemberRecord } from "../members/member.js";
import type { NameGuard } from "../members/name-guard.js";
import { pushPullIntervalMs } from "../swim/math.js";
import { type Address, addressKey } from "../transport/transport.js";
import { decodeStreamMessage } from "../wire/decode.js";
import { encodeStreamMessage } from "../wire/encode.js";
import { MessageType } from "../wire/message-type.js";
import type { PushPullMessage } from "../wire/messages.js";
import { localState, mergeRemoteState } from "./push-pull.js";

const ignore = (): void => {};

/**
 * Full-state anti-entropy over streams (memberlist pushPull): periodic push-pulls
 * with a random alive member, Serf's reconnect with a random dead one, joins, and
 * the responder's side.
 */
export class AntiEntropy {
  readonly #h: GossipHost;
  readonly #guard: NameGuard;

  constructor(host: GossipHost, guard: NameGuard) {
    this.#h = host;
    this.#guard = guard;
  }

  /**
   * The next push-pull delay: the base interval scaled with the cluster size, then
   * jittered to [0.5, 1.5) of it, so members started together do not push-pull in
   * synchronised bursts.
   */
  nextIntervalMs(): number {
    const h = this.#h;
    const scaled = pushPullIntervalMs(h.config.pushPullIntervalMs, h.membership.liveCount());
    return Math.floor(scaled * (0.5 + h.random.next()));
  }

  pushPullRound(): void {
    const answered = this.#h.answered;
    const peer = this.#randomMember((r) => r.state === "alive" && answered.has(r.address));
    if (peer !== undefined) this.pushPull(peer.address, false).catch(ignore);
  }

  /** Serf's reconnect: push-pull with a member we think dead, so the two sides of a healed partition merge. */
  reconnectRound(): void {
    // Only members that once answered: a forged member "at" a bystander's address never did.
    const answered = this.#h.answered;
    const peer = this.#randomMember((r) => r.state === "dead" && answered.has(r.address));
    if (peer !== undefined) this.pushPull(peer.address, false).catch(ignore);
  }

  async pushPull(to: Address, join: boolean): Promise<void> {
    const h = this.#h;
    h.stats.pushPulls++;
    const members = h.membership;
    const request = encodeStreamMessage({
      type: MessageType.pushPull,
      join,
      from: h.config.name,
      members: localState(members),
    });
    const reply = await h.request(to, request, h.config.streamTimeoutMs);
    const decoded = decodeStreamMessage(reply);
    if (!decoded.ok || decoded.value.type !== MessageType.pushPullReply) {
      countDropped(h.stats, decoded.ok ? "unexpected-stream" : decoded.reason);
      throw new MeshError("MESH_ERR_NODE_UNREACHABLE", `bad push-pull reply from ${addressKey(to)}`);
    }
    if (!h.isRunning()) return;
    this.#guard.beginCollect();
    try {
      mergeRemoteState(members, decoded.value.from, decoded.value.members);
    } finally {
      const checks = this.#guard.endCollect();
      // A join learns here whether a live member holds this name (the reply shows it
      // alive at another address): it waits for the checks and rejects if one answers.
      if (join) await this.#guard.settleForJoin(checks);
    }
  }

  /**
   * The responder's side. It merges first, so its reply already carries any
   * refutation the merge caused (a member that was dead on the other side answers
   * as alive, newer).
   */
  answer(m: PushPullMessage): Uint8Array {
    const h = this.#h;
    if (m.join) {
      const own = m.members.find((e) => e.name === m.from);
      if (own?.state === "alive") this.#guard.joinerClaims(own);
    }
    mergeRemoteState(h.membership, m.from, m.members);
    return encodeStreamMessage({
      type: MessageType.pushPullReply,
      join: m.join,
      from: h.config.name,
      members: localState(h.membership),
    });
  }

  #randomMember(accept: (r: MemberRecord) => boolean): MemberRecord | undefined {
    const members = this.#h.membership;
    const candidates: MemberRecord[] = [];
    for (const r of members.records()) if (r !== members.local && accept(r)) candidates.push(r);
    return candidates[Math.floor(this.#h.random.next() * candidates.length)];
  }
}
