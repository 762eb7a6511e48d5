import { invalidArgument, type Random, systemRandom } from "@mesh/interface";
import type { Address } from "./transport/transport.js";
import { WIRE_LIMITS } from "./wire/limits.js";

/** The protocol knobs a preset sets; every one can be overridden in {@link GossipInit}. */
export interface ProtocolSettings {
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
  readonly indirectChecks: number;
  readonly suspicionMult: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly retransmitMult: number;
  readonly gossipIntervalMs: number;
  readonly gossipNodes: number;
  readonly gossipToTheDeadMs: number;
  readonly pushPullIntervalMs: number;
  readonly reconnectIntervalMs: number;
  readonly streamTimeoutMs: number;
  readonly deadMemberRetentionMs: number;
  readonly awarenessMaxMultiplier: number;
  readonly leaveTimeoutMs: number;
  readonly metadataInlineMaxBytes: number;
  readonly streamFallbackPing: boolean;
  /** Members the table holds at most, this one and dead/left ones included; new names past it are refused and counted. */
  readonly maxMembers: number;
}

/** memberlist's DefaultLANConfig, with the additions Mesh needs. */
export const LAN_PRESET: ProtocolSettings = Object.freeze({
  probeIntervalMs: 1000, // detection time is a few intervals; 1 s keeps probe traffic at ~2 packets/s per member
  probeTimeoutMs: 500, // far above a LAN round trip, below the interval so indirect probes fit in it
  indirectChecks: 3, // three other paths make a lossy link alone unlikely to cause a suspicion
  suspicionMult: 4, // suspicion lasts 4 * log10(n) intervals: time for the suspect to hear of it and refute
  suspicionMaxTimeoutMult: 6, // Lifeguard: an unconfirmed suspicion may last 6x that before it kills
  retransmitMult: 4, // each update is piggybacked 4 * ceil(log10(n + 1)) times: reaches all with high probability
  gossipIntervalMs: 200, // updates spread in fractions of a probe interval, not whole intervals
  gossipNodes: 3, // fan-out per gossip round: epidemic growth of ~4x per round
  gossipToTheDeadMs: 30_000, // keep telling a member just declared dead, so if it lives it can refute
  pushPullIntervalMs: 30_000, // full-state anti-entropy is costly; it only repairs what gossip missed
  reconnectIntervalMs: 30_000, // Serf's reconnect: try a dead member again, so healed partitions merge
  streamTimeoutMs: 10_000, // a push-pull of a large cluster over TCP can take a while
  deadMemberRetentionMs: 300_000, // far longer than any stale gossip or push-pull can carry an old alive
  awarenessMaxMultiplier: 8, // a struggling member may slow its probing down to 8x the interval
  leaveTimeoutMs: 2_000, // long enough for the "left" broadcast to be gossiped a few rounds
  metadataInlineMaxBytes: 512, // memberlist's MetaMaxSize: larger metadata goes as a digest, fetched over a stream
  streamFallbackPing: true, // memberlist's TCP ping: a member reachable by stream is not suspected over UDP loss
  maxMembers: 10_000, // bounds memory and push-pull cost whatever peers send; far above the clusters Mesh targets
});

/** memberlist's DefaultWANConfig: slower, more tolerant of latency and loss. */
export const WAN_PRESET: ProtocolSettings = Object.freeze({
  ...LAN_PRESET,
  probeIntervalMs: 5000, // WAN round trips and loss call for a slower detector
  probeTimeoutMs: 3000, // WAN round trips can reach seconds under load
  suspicionMult: 6, // more time to refute across a slow network
  gossipIntervalMs: 500, // fewer, fuller packets over the WAN
  gossipNodes: 4, // a larger fan-out makes up for the slower rounds
  gossipToTheDeadMs: 60_000, // a WAN member may take longer to hear that it was declared dead
  pushPullIntervalMs: 60_000, // full state is more expensive over the WAN
  reconnectIntervalMs: 60_000, // WAN partitions heal slowly; do not hammer
  streamTimeoutMs: 30_000, // TCP over the WAN
  deadMemberRetentionMs: 600_000, // WAN gossip can be stale longer
  leaveTimeoutMs: 5_000, // slower rounds need longer to spread "left"
});

/** memberlist's DefaultLocalConfig: one host or a test network, fast and chatty. */
export const LOCAL_PRESET: ProtocolSettings = Object.freeze({
  ...LAN_PRESET,
  probeTimeoutMs: 200, // loopback round trips are microseconds
  indirectChecks: 1, // loss is rare on one host; one indirect path is enough
  suspicionMult: 3, // refutations arrive fast locally
  retransmitMult: 2, // small local clusters need few retransmissions
  gossipIntervalMs: 100, // spread updates fast for tests
  gossipToTheDeadMs: 15_000, // local members hear quickly
  pushPullIntervalMs: 15_000, // full state is cheap locally
  reconnectIntervalMs: 5_000, // heal test partitions quickly
  streamTimeoutMs: 1_000, // a loopback stream that takes a second is broken
  deadMemberRetentionMs: 60_000, // local gossip goes stale within seconds
  leaveTimeoutMs: 500, // local rounds are fast
});

export const PRESETS = Object.freeze({ lan: LAN_PRESET, wan: WAN_PRESET, local: LOCAL_PRESET });
export type PresetName = keyof typeof PRESETS;

/** Options of a gossip member; all optional. Durations are in milliseconds. */
export interface GossipInit extends Partial<ProtocolSettings> {
  /** Unique in the cluster. @default "node-" + 8 random hex digits */
  readonly name?: string;
  /** The base settings, like memberlist's Default{LAN,WAN,Local}Config. @default "lan" */
  readonly preset?: PresetName;
  /** What this member can host. @default [] */
  readonly capabilities?: readonly string[];
  /** Free-form key/value metadata. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** The address announced to others, when it differs from the transport's local address (NAT). @default transport.localAddress */
  readonly advertiseAddress?: Address;
  /** Every Lifeguard extension at once (off = plain SWIM). @default true */
  readonly lifeguard?: boolean;
  /** Local health awareness: a slow member stretches its own probe interval. @default lifeguard */
  readonly lifeguardAwareness?: boolean;
  /** Dogpile suspicion: timeouts start at the max and shrink with confirmations. @default lifeguard */
  readonly lifeguardDogpile?: boolean;
  /** Buddy: a probe of a suspect member carries the suspicion to it. @default lifeguard */
  readonly lifeguardBuddy?: boolean;
  /** Nacks from indirect probers, which feed local health. @default lifeguard */
  readonly lifeguardNack?: boolean;
}

export interface GossipConfig extends ProtocolSettings {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly advertiseAddress: Address | undefined;
  readonly lifeguardAwareness: boolean;
  readonly lifeguardDogpile: boolean;
  readonly lifeguardBuddy: boolean;
  readonly lifeguardNack: boolean;
}

const INTEGER_SETTINGS = [
  ["probeIntervalMs", 1],
  ["probeTimeoutMs", 1],
  ["indirectChecks", 0],
  ["suspicionMult", 1],
  ["suspicionMaxTimeoutMult", 1],
  ["retransmitMult", 1],
  ["gossipIntervalMs", 1],
  ["gossipNodes", 1],
  ["gossipToTheDeadMs", 0],
  ["pushPullIntervalMs", 0],
  ["reconnectIntervalMs", 0],
  ["streamTimeoutMs", 1],
  ["deadMemberRetentionMs", 0],
  ["awarenessMaxMultiplier", 1],
  ["leaveTimeoutMs", 0],
  ["metadataInlineMaxBytes", 0],
  ["maxMembers", 1],
] as const satisfies readonly (readonly [keyof ProtocolSettings, number])[];

function checkName(property: string, value: unknown, max: number): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max)
    throw invalidArgument(property, `a non-empty string of at most ${max} characters`, value);
  return value;
}

function checkBoolean(property: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalidArgument(property, "a boolean", value);
  return value;
}

export function validateCapabilities(property: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length > WIRE_LIMITS.maxCapabilities)
    throw invalidArgument(property, `an array of at most ${WIRE_LIMITS.maxCapabilities} strings`, value);
  for (const [i, c] of value.entries()) checkName(`${property}[${i}]`, c, WIRE_LIMITS.maxCapabilityLength);
  return Object.freeze([...new Set(value as string[])].sort());
}

export function validateTags(property: string, value: unknown): Readonly<Record<string, string>> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalidArgument(property, "an object of string values", value);
  const entries = Object.entries(value);
  if (entries.length > WIRE_LIMITS.maxTags)
    throw invalidArgument(property, `at most ${WIRE_LIMITS.maxTags} tags`, entries.length);
  const out: Record<string, string> = {};
  for (const [key, v] of entries) {
    checkName(`${property} key`, key, WIRE_LIMITS.maxTagKeyLength);
    if (key === "__proto__") throw invalidArgument(`${property} key`, 'not "__proto__"', key);
    if (typeof v !== "string" || v.length > WIRE_LIMITS.maxTagValueLength)
      throw invalidArgument(`${property}.${key}`, `a string of at most ${WIRE_LIMITS.maxTagValueLength} characters`, v);
    out[key] = v;
  }
  return Object.freeze(out);
}

function checkAddress(property: string, value: unknown): Address {
  const a = value as Address;
  if (typeof a !== "object" || a === null) throw invalidArgument(property, "{ host, port }", value);
  checkName(`${property}.host`, a.host, WIRE_LIMITS.maxHostLength);
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)
    throw invalidArgument(`${property}.port`, "an integer in 0..65535", a.port);
  return Object.freeze({ host: a.host, port: a.port });
}

/**
 * The probe timeout when the caller sets only the probe interval: the preset's
 * timeout, scaled down with the interval (never up): timeout * min(1, interval /
 * presetInterval). A departure from memberlist, which keeps the preset's timeout:
 * the local preset's 200 ms with a 200 ms interval (the real-process tests) left
 * the indirect probes and the stream ping no time at all (sent at the very moment
 * of the verdict), and nacks could never arrive, so every failed probe counted
 * against the prober's own health. At interval 200 ms it is now 40 ms; a slow ack
 * still counts until the end of the period.
 */
export function defaultProbeTimeoutMs(init: GossipInit, preset: ProtocolSettings): number {
  const interval = init.probeIntervalMs;
  if (typeof interval !== "number" || !(interval >= 1) || interval >= preset.probeIntervalMs)
    return preset.probeTimeoutMs;
  return Math.max(1, Math.floor((preset.probeTimeoutMs * interval) / preset.probeIntervalMs));
}

/** Applies the preset and the overrides, validates everything, and freezes the result. */
export function resolveGossipConfig(init: GossipInit = {}, random: Random = systemRandom): GossipConfig {
  if (typeof init !== "object" || init === null) throw invalidArgument("init", "an object", init);
  const presetName = init.preset ?? "lan";
  const preset = PRESETS[presetName];
  if (preset === undefined) throw invalidArgument("preset", '"lan", "wan" or "local"', presetName);
  const settings: Record<string, number | boolean> = { ...preset, probeTimeoutMs: defaultProbeTimeoutMs(init, preset) };
  for (const [key, min] of INTEGER_SETTINGS) {
    const v = init[key] ?? settings[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min)
      throw invalidArgument(key, `an integer >= ${min}`, v);
    settings[key] = v;
  }
  if ((settings.probeTimeoutMs as number) > (settings.probeIntervalMs as number))
    throw invalidArgument("probeTimeoutMs", "at most probeIntervalMs", settings.probeTimeoutMs);
  settings.streamFallbackPing = checkBoolean("streamFallbackPing", init.streamFallbackPing, preset.streamFallbackPing);
  const lifeguard = checkBoolean("lifeguard", init.lifeguard, true);
  const suffix = Math.floor(random.next() * 0xffffffff)
    .toString(16)
    .padStart(8, "0");
  return Object.freeze({
    ...(settings as unknown as ProtocolSettings),
    name: init.name === undefined ? `node-${suffix}` : checkName("name", init.name, WIRE_LIMITS.maxNameLength),
    capabilities: validateCapabilities("capabilities", init.capabilities ?? []),
    tags: validateTags("tags", init.tags ?? {}),
    advertiseAddress:
      init.advertiseAddress === undefined ? undefined : checkAddress("advertiseAddress", init.advertiseAddress),
    lifeguardAwareness: checkBoolean("lifeguardAwareness", init.lifeguardAwareness, lifeguard),
    lifeguardDogpile: checkBoolean("lifeguardDogpile", init.lifeguardDogpile, lifeguard),
    lifeguardBuddy: checkBoolean("lifeguardBuddy", init.lifeguardBuddy, lifeguard),
    lifeguardNack: checkBoolean("lifeguardNack", init.lifeguardNack, lifeguard),
  });
}
