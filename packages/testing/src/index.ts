/**
 * @packageDocumentation
 * Test doubles for Mesh (published for @mesh/test-kit, which re-exports the
 * simulator): a fake clock, a seeded random generator, a
 * deadline-bounded `waitFor`, and skip rules for tests with system requirements.
 */
export { FakeClock } from "./fake-clock.js";
export { hasCommand, isRoot, requireAll, skipUnless } from "./requirements.js";
export { SeededRandom, testSeed } from "./seeded-random.js";
export {
  SimCallEndpoint,
  type SimCallHandler,
  SimCallNetwork,
  type SimCallNetworkInit,
  SimIncomingCall,
  type SimOutgoingCall,
} from "./sim-calls.js";
export {
  type SimAddress,
  type SimLink,
  SimNetwork,
  type SimNetworkInit,
  type SimNetworkStats,
  SimNode,
  SimTransport,
  type SimTransportStats,
  simAddressKey,
} from "./sim-network.js";
export { type WaitForOptions, waitFor } from "./wait-for.js";
