/**
 * The security seam of the call transport. When a cipher is configured, every
 * frame body is sealed before it is written and opened after it is read; the
 * 4-byte length prefix stays in the clear (it only says how many bytes follow).
 *
 * An implementation must authenticate as well as encrypt (AES-256-GCM or
 * better): `open` returns `undefined` for a body that was not sealed with the
 * same key or was altered on the way, and the transport then closes that
 * connection and counts it (`dropped["unopenable-frame"]`). A peer without the
 * key therefore cannot get a single call through.
 */
export interface FrameCipher {
  /** Encrypts and authenticates one frame body. Must not keep a reference to `plain`. */
  seal(plain: Uint8Array): Uint8Array;
  /** The plain body, or `undefined` when `sealed` fails authentication. Must not throw. */
  open(sealed: Uint8Array): Uint8Array | undefined;
}
