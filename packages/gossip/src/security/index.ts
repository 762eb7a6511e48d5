export { ENVELOPE_VERSION, HEADER_BYTES, SEAL_OVERHEAD, TAG_BYTES } from "./envelope.js";
export { deriveKey, KEY_BYTES, type KeyPurpose, keyId, type Secret } from "./key-derivation.js";
export { Keyring, type KeyringEntry } from "./keyring.js";
export { ReplayWindow } from "./replay-window.js";
export {
  DEFAULT_MAX_CLOCK_SKEW_MS,
  DEFAULT_MAX_SENDERS,
  DEFAULT_REPLAY_WINDOW,
  type SecureTransportComponents,
  type SecureTransportInit,
  secureTransport,
} from "./secure-transport.js";
