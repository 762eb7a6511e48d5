import { abortedError } from "@mesh/interface";
import type { ActorTimer } from "./actor-timer.js";

/** What a turn does with an envelope. Numbers, so the dispatch is a small-integer switch. */
export const CALL = 0;
export const CAST = 1;
export const TIMER = 2;
/** `restore(state)` on an actor that is already active: runs as its next turn. */
export const RESTORE = 3;
/** Runs nothing; resolves when its turn comes (used to await an activation). */
export const BARRIER = 4;

export const EMPTY_CHAIN: readonly string[] = Object.freeze([]);

/** Something that can tell, when a queued message's turn comes, that nobody waits for it any more. */
export interface Abandonable {
  readonly abandoned: boolean;
}

/**
 * A message that could not run at once: it waits in a mailbox. An idle actor's
 * message never becomes an envelope (the fast path runs the handler directly).
 * Calls carry their promise's resolve/reject; the envelope itself is the abort
 * listener (`handleEvent`), so aborting needs no closure.
 */
export class Envelope {
  readonly kind: number;
  readonly payload: unknown;
  readonly chain: readonly string[];
  readonly signal: AbortSignal | undefined;
  readonly initArg: unknown;
  readonly timer: ActorTimer | undefined;
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  /** Set by a transport when the remote caller gave up; checked when the turn comes, no listener needed. */
  abandoned: Abandonable | undefined = undefined;
  /** Set once the caller has its answer (reply, error or abort); a settled envelope's turn is skipped. */
  settled = false;
  next: Envelope | null = null;

  constructor(
    kind: number,
    payload: unknown,
    chain: readonly string[],
    signal: AbortSignal | undefined,
    initArg: unknown,
    timer?: ActorTimer,
  ) {
    this.kind = kind;
    this.payload = payload;
    this.chain = chain;
    this.signal = signal;
    this.initArg = initArg;
    this.timer = timer;
  }

  /** A promise settled through this envelope; listens to the signal until then. */
  promise(): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.signal?.addEventListener("abort", this, { once: true });
    return promise;
  }

  fulfil(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.signal?.removeEventListener("abort", this);
    this.resolve?.(value);
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.signal?.removeEventListener("abort", this);
    this.reject?.(error);
  }

  /** The abort listener: the caller gets MESH_ERR_ABORTED at once; the turn, if queued, is skipped later. */
  handleEvent(): void {
    if (this.signal !== undefined) this.fail(abortedError(this.signal));
  }
}

/** A FIFO linked through `Envelope.next`: no array to grow or shift. */
export class Mailbox {
  head: Envelope | null = null;
  tail: Envelope | null = null;
  size = 0;

  push(envelope: Envelope): void {
    if (this.tail === null) this.head = envelope;
    else this.tail.next = envelope;
    this.tail = envelope;
    this.size++;
  }

  /** Puts an envelope first (a restore jumps the queue). */
  unshift(envelope: Envelope): void {
    envelope.next = this.head;
    this.head = envelope;
    if (this.tail === null) this.tail = envelope;
    this.size++;
  }

  shift(): Envelope | null {
    const envelope = this.head;
    if (envelope === null) return null;
    this.head = envelope.next;
    if (this.head === null) this.tail = null;
    envelope.next = null;
    this.size--;
    return envelope;
  }
}
