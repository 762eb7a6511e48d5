/**
 * @packageDocumentation
 * Contracts shared by every Mesh package: the error type and its code registry,
 * the clock, randomness and logger components, and abort helpers. Implementations
 * live in the packages that use them; this package has no runtime dependencies.
 */
export { abortedError, throwIfAborted } from "./abort.js";
export { type Clock, systemClock, TickClock, type TimerHandle, tickClockOf } from "./clock.js";
export {
  type ErrorCode,
  type ErrorCodeInfo,
  ErrorCodes,
  invalidArgument,
  isMeshError,
  MeshError,
  type MeshErrorOptions,
} from "./errors.js";
export {
  childLogger,
  jsonLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  noopLogger,
  type PinoLike,
  pinoLogger,
  safeJsonStringify,
} from "./logger.js";
export { type Random, randomInt, shuffle, systemRandom } from "./random.js";
export {
  type Address,
  addressKey,
  type PacketHandler,
  type StreamHandler,
  type StreamRequestOptions,
  type Transport,
  type TransportStats,
} from "./transport.js";
