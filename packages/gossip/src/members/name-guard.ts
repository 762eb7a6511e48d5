import { type Logger, MeshError } from "@mesh/interface";
import type { GossipHost } from "../gossip-host.js";
import { type Address, addressKey } from "../transport/transport.js";
import { decodeStreamMessage } from "../wire/decode.js";
import { encodeStreamMessage } from "../wire/encode.js";
import { MessageType } from "../wire/message-type.js";
import type { AliveMessage, MemberStateEntry } from "../wire/messages.js";
import { isLive, type MemberRecord, sameAddress } from "./member.js";

/** Checks under way at once; further claims wait for the next copy of their gossip. */
const MAX_CHECKS = 16;
/** Verdicts remembered (a claim seen again within the hold is answered from memory). */
const MAX_VERDICTS = 1024;
/** How long a "the holder answers" verdict holds, in probe intervals. */
const VERDICT_HOLD_INTERVALS = 30;

export interface NameGuardDeps {
  readonly logger: Logger;
  /** Sends one alive message to an address as a datagram (with piggybacked gossip). */
  sendAlive(to: Address, alive: AliveMessage): void;
}

interface Check {
  readonly name: string;
  readonly address: Address;
  /** Resolves true when a live process with that name answered at that address. */
  readonly answered: Promise<boolean>;
  /** A join awaits this self-check and decides (it rejects with MESH_ERR_NAME_CONFLICT); nothing else to do. */
  joinWaiting: boolean;
  /** The newest claim seen while the check ran (third-party checks). */
  pending: AliveMessage | undefined;
}

/**
 * One name, one live process. An alive message that moves a live member to
 * another address is held until the address we hold is asked, over a stream ping
 * naming the member (answered only by a process of that name): if it answers, the
 * holder is alive and keeps the name, and the claimant is sent the holder's alive
 * (so it learns of the conflict, and checks for itself); if not, the member was
 * restarted elsewhere and the new address is taken. A member seeing its own name
 * at another address asks that address the same way: a live answer during its own
 * join makes the join reject with MESH_ERR_NAME_CONFLICT (the newcomer yields);
 * otherwise it is the holder and keeps its name. Nothing is taken on a stranger's
 * word: every verdict comes from the address itself.
 */
export class NameGuard {
  readonly #h: GossipHost;
  readonly #deps: NameGuardDeps;
  readonly #checks = new Map<string, Check>();
  /** `name|claimant address` -> until when the holder's answer stands. */
  readonly #verdicts = new Map<string, number>();
  #collecting: Check[] | undefined;
  #seq = 0;

  constructor(host: GossipHost, deps: NameGuardDeps) {
    this.#h = host;
    this.#deps = deps;
  }

  /** Starts collecting the self-checks that a merge triggers (for a join to await). */
  beginCollect(): void {
    this.#collecting = [];
  }

  /** The self-checks triggered since beginCollect(). */
  endCollect(): Check[] {
    const out = this.#collecting ?? [];
    this.#collecting = undefined;
    return out;
  }

  /**
   * Awaits the given self-checks as part of a join: rejects with MESH_ERR_NAME_CONFLICT
   * if a live process with this member's name answered at one of their addresses.
   */
  async settleForJoin(checks: readonly Check[]): Promise<void> {
    for (const c of checks) c.joinWaiting = true;
    for (const c of checks) {
      if (await c.answered) throw nameConflict(c.name, c.address);
    }
  }

  /**
   * A join request from a process named `entry.name`, whose own entry gives its
   * address: if we hold that name live elsewhere (or it is ours), that is a claim
   * whatever its incarnation (a new process starts at 0, below the holder's), so
   * this side of the conflict learns of it and logs it too.
   */
  joinerClaims(entry: MemberStateEntry): void {
    const membership = this.#h.membership;
    const r = membership.get(entry.name);
    if (r === undefined || !isLive(r.state) || sameAddress(r.address, entry.address)) return;
    const claim: AliveMessage = {
      type: MessageType.alive,
      name: entry.name,
      incarnation: entry.incarnation,
      address: entry.address,
      metadata: entry.metadata,
    };
    if (r === membership.local) this.selfClaimed(claim);
    else this.addressClaimed(r, claim, true);
  }

  /**
   * A newer alive claims live member `record` at another address. From gossip (not
   * a join's own stream), the held address is asked only if it has answered our
   * probes before: one never heard from proves nothing, and asking it would let
   * forged gossip make every member connect to whatever address it named first.
   */
  addressClaimed(record: MemberRecord, m: AliveMessage, fromJoin = false): void {
    const h = this.#h;
    if (!fromJoin && !h.answered.has(record.address)) {
      h.membership.applyAlive(m, true);
      return;
    }
    const verdictKey = `${m.name}|${addressKey(m.address)}`;
    const until = this.#verdicts.get(verdictKey);
    if (until !== undefined && until > h.clock.now()) {
      h.stats.nameClaimsRefused++;
      return;
    }
    const key = `${record.name}|${addressKey(record.address)}`;
    const running = this.#checks.get(key);
    if (running !== undefined) {
      if (running.pending === undefined || m.incarnation > running.pending.incarnation) running.pending = m;
      return;
    }
    const check = this.#start(record.name, record.address, key);
    if (check === undefined) return;
    check.pending = m;
    const heldAt = record.address;
    check.answered.then((answered) => {
      if (!h.isRunning()) return;
      const claim = check.pending as AliveMessage;
      const current = h.membership.get(record.name);
      if (current === undefined || !isLive(current.state) || !sameAddress(current.address, heldAt)) {
        if (current !== undefined) h.membership.applyAlive(claim);
        return;
      }
      if (answered) {
        h.stats.nameConflicts++;
        h.stats.nameClaimsRefused++;
        this.#remember(`${claim.name}|${addressKey(claim.address)}`);
        this.#deps.logger.warn("name conflict: the holder answers, the claim from another address is refused", {
          name: claim.name,
          holder: addressKey(heldAt),
          claimant: addressKey(claim.address),
        });
        this.#deps.sendAlive(claim.address, {
          type: MessageType.alive,
          name: current.name,
          incarnation: current.incarnation,
          address: current.address,
          metadata: current.metadata,
        });
        return;
      }
      this.#deps.logger.info("member moved: nothing answers at its old address, the new one is taken", {
        name: claim.name,
        from: addressKey(heldAt),
        to: addressKey(claim.address),
      });
      h.membership.applyAlive(claim, true);
    });
  }

  /** An alive of this member's own name at another address. */
  selfClaimed(m: AliveMessage): void {
    const h = this.#h;
    const verdictKey = `${m.name}|${addressKey(m.address)}`;
    const key = `self|${addressKey(m.address)}`;
    const running = this.#checks.get(key);
    if (running !== undefined) {
      this.#collecting?.push(running);
      return;
    }
    const until = this.#verdicts.get(verdictKey);
    if (until !== undefined && until > h.clock.now()) return; // a known duplicate: already logged and told
    const check = this.#start(m.name, m.address, key);
    if (check === undefined) return;
    this.#collecting?.push(check);
    check.answered.then((answered) => {
      if (!h.isRunning()) return;
      if (!answered) {
        // An older life of this member (crashed, restarted here): take the name back.
        h.membership.refuteOlderLife(m);
        return;
      }
      if (check.joinWaiting) return; // the join rejects: this member is the newcomer
      h.stats.nameConflicts++;
      this.#remember(verdictKey);
      this.#deps.logger.warn("name conflict: another live process uses this member's name; keeping it", {
        name: m.name,
        other: addressKey(m.address),
      });
      h.membership.refuteOlderLife(m);
      this.#deps.sendAlive(m.address, h.membership.localAlive());
    });
  }

  #start(name: string, address: Address, key: string): Check | undefined {
    if (this.#checks.size >= MAX_CHECKS) return undefined;
    const h = this.#h;
    this.#seq = (this.#seq + 1) % 0x1_0000_0000;
    const seq = this.#seq;
    const request = encodeStreamMessage({ type: MessageType.streamPing, seq, target: name });
    // The stream timeout, not a probe timeout: a busy holder that answers late must not
    // lose its name; a crashed one on a reachable host refuses at once.
    const answered = h.request(address, request, h.config.streamTimeoutMs).then(
      (reply) => {
        const d = decodeStreamMessage(reply);
        return d.ok && d.value.type === MessageType.ack && d.value.seq === seq;
      },
      () => false,
    );
    const check: Check = { name, address, answered, joinWaiting: false, pending: undefined };
    this.#checks.set(key, check);
    void answered.then(() => this.#checks.delete(key));
    return check;
  }

  #remember(key: string): void {
    this.#verdicts.delete(key);
    this.#verdicts.set(key, this.#h.clock.now() + VERDICT_HOLD_INTERVALS * this.#h.config.probeIntervalMs);
    if (this.#verdicts.size > MAX_VERDICTS) {
      const oldest = this.#verdicts.keys().next().value;
      if (oldest !== undefined) this.#verdicts.delete(oldest);
    }
  }
}

export function nameConflict(name: string, holder: Address): MeshError {
  return new MeshError(
    "MESH_ERR_NAME_CONFLICT",
    `the name "${name}" is held by a live member at ${addressKey(holder)}; choose another name`,
    { details: { name, holder: addressKey(holder) } },
  );
}
