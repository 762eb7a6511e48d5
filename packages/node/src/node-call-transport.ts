import type { Clock, Logger } from "@mesh/interface";
import {
  CallClient,
  type CallHandler,
  CallServer,
  type FlushMode,
  type FrameCipher,
  type OutgoingCall,
  type OutgoingCast,
} from "./call-transport/index.js";

/**
 * What a node needs from a call transport: an endpoint that serves calls to this
 * node, and calls and casts to other nodes' endpoints, by "host:port". The TCP
 * transport below is the default; tests inject a simulated one (SimCallNetwork in
 * @mesh/testing) to run whole clusters on a fake clock.
 */
export interface CallTransport {
  /** Binds the endpoint and delivers every call and cast to this node to `handler`. */
  start(handler: CallHandler): Promise<void>;
  /** The "host:port" other nodes call this node at (after start), bound host as given. */
  readonly port: number;
  /**
   * Sends a call; resolves with the reply, rejects with the MeshError the owner sent,
   * or MESH_ERR_TIMEOUT once `timeoutMs` has passed (the transport owns that timer),
   * MESH_ERR_NODE_UNREACHABLE, MESH_ERR_ABORTED.
   */
  call(address: string, request: OutgoingCall): Promise<unknown>;
  /** Best effort. */
  cast(address: string, request: OutgoingCast): void;
  /** Fails the calls in flight to `address` (retryable) and stops reconnecting to it. */
  closePeer(address: string, reason: string): void;
  /**
   * The peer at `address` is back (alive again after a suspicion): a connection to it
   * that has been silent, or a connect backoff, is replaced now rather than waiting
   * for TCP's retransmission backoff. A connection that is carrying bytes is kept.
   */
  resetPeer(address: string): void;
  stop(): Promise<void>;
}

export interface TcpCallTransportInit {
  readonly host: string;
  readonly port: number;
  readonly cipher: FrameCipher | undefined;
  readonly defaultTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly flushMode: FlushMode;
  /** Membership's word on a peer: true while the member at this call address answers probes. */
  readonly peerAnswering?: (address: string) => boolean;
}

/** The call transport over TCP: a CallServer for this node and a CallClient with one connection per peer. */
export class TcpCallTransport implements CallTransport {
  readonly #init: TcpCallTransportInit;
  readonly #components: { readonly clock: Clock; readonly logger: Logger };
  #server: CallServer | undefined;
  readonly #client: CallClient;

  constructor(init: TcpCallTransportInit, components: { readonly clock: Clock; readonly logger: Logger }) {
    this.#init = init;
    this.#components = components;
    const cipher = init.cipher === undefined ? {} : { cipher: init.cipher };
    this.#client = new CallClient(
      {
        defaultTimeoutMs: init.defaultTimeoutMs,
        flushMode: init.flushMode,
        maxFrameBytes: init.maxFrameBytes,
        ...cipher,
      },
      init.peerAnswering === undefined ? components : { ...components, peerAnswering: init.peerAnswering },
    );
  }

  get port(): number {
    return this.#server?.port ?? 0;
  }

  async start(handler: CallHandler): Promise<void> {
    const init = this.#init;
    const server = new CallServer(
      handler,
      {
        host: init.host,
        port: init.port,
        flushMode: init.flushMode,
        maxFrameBytes: init.maxFrameBytes,
        ...(init.cipher === undefined ? {} : { cipher: init.cipher }),
      },
      this.#components,
    );
    await server.start();
    this.#server = server;
    try {
      await this.#client.start();
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  call(address: string, request: OutgoingCall): Promise<unknown> {
    return this.#client.call(address, request);
  }

  cast(address: string, request: OutgoingCast): void {
    this.#client.cast(address, request);
  }

  closePeer(address: string, reason: string): void {
    this.#client.closePeer(address, reason);
  }

  resetPeer(address: string): void {
    this.#client.resetPeer(address);
  }

  async stop(): Promise<void> {
    await this.#client.stop();
    await this.#server?.stop();
  }
}
