import { isIP } from "node:net";
import type { Address } from "../transport/transport.js";

/**
 * discovery.k8s.io/v1 EndpointSlices as the API server sends them, validated
 * field by field: nothing from the API is trusted before it is checked.
 *
 *   { metadata: { name, resourceVersion, labels }, addressType: "IPv4" | "IPv6" | "FQDN",
 *     endpoints: [{ addresses: [ip], conditions: { ready, serving, terminating }, targetRef }] | null,
 *     ports: [{ name, port, protocol }] | null }
 *
 * Per the API, an unset `ready` means ready ("unknown, treat as ready"); a
 * terminating endpoint is never joined, whatever `ready` says.
 */
export interface ParsedSlice {
  readonly name: string;
  readonly addresses: readonly Address[];
  /** Endpoints skipped, by reason: "not-ready", "terminating", "no-port", "bad-address", "fqdn", "over-cap". */
  readonly skipped: Readonly<Record<string, number>>;
}

export interface SliceList {
  readonly resourceVersion: string;
  readonly continueToken: string | undefined;
  readonly items: readonly unknown[];
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: Record<string, unknown>;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]);

/** Parses one slice, keeping at most `maxAddresses` addresses; a string says why it is malformed. */
export function parseEndpointSlice(value: unknown, portName: string, maxAddresses: number): ParsedSlice | string {
  if (!isObject(value)) return "slice is not an object";
  const name = metadataName(value);
  if (name === undefined) return "slice has no metadata.name";
  const skipped: Record<string, number> = {};
  const skip = (reason: string, n = 1): void => {
    skipped[reason] = (skipped[reason] ?? 0) + n;
  };
  const addressType = value.addressType;
  if (addressType !== "IPv4" && addressType !== "IPv6" && addressType !== "FQDN")
    return `slice ${name}: bad addressType`;
  const endpoints = value.endpoints ?? [];
  const ports = value.ports ?? [];
  if (!Array.isArray(endpoints) || !Array.isArray(ports)) return `slice ${name}: endpoints and ports must be arrays`;
  const port = ports.find((p: unknown) => isObject(p) && (p.name ?? "") === portName) as
    | Record<string, unknown>
    | undefined;
  const portNumber = port?.port;
  const addresses: Address[] = [];
  if (addressType === "FQDN") skip("fqdn", endpoints.length);
  else if (typeof portNumber !== "number" || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65_535)
    skip("no-port", endpoints.length);
  else {
    const family = addressType === "IPv4" ? 4 : 6;
    for (const endpoint of endpoints) {
      if (!isObject(endpoint) || !Array.isArray(endpoint.addresses)) return `slice ${name}: malformed endpoint`;
      const conditions = isObject(endpoint.conditions) ? endpoint.conditions : {};
      if (conditions.terminating === true) skip("terminating");
      else if (conditions.ready === false) skip("not-ready");
      else {
        // Kubernetes fills only the first address ("consumers must use the first").
        const host = endpoint.addresses[0];
        if (typeof host !== "string" || isIP(host) !== family) skip("bad-address");
        else if (addresses.length >= maxAddresses) skip("over-cap");
        else addresses.push({ host, port: portNumber });
      }
    }
  }
  return { name, addresses, skipped };
}

/** An EndpointSliceList page: its items, resourceVersion and `continue` token. */
export function parseSliceList(value: unknown): SliceList | string {
  if (!isObject(value)) return "list is not an object";
  if (value.kind !== undefined && value.kind !== "EndpointSliceList") return `unexpected kind ${String(value.kind)}`;
  const metadata = value.metadata;
  if (!isObject(metadata) || typeof metadata.resourceVersion !== "string")
    return "list has no metadata.resourceVersion";
  const items = value.items ?? [];
  if (!Array.isArray(items)) return "list items is not an array";
  const token = metadata.continue;
  if (token !== undefined && typeof token !== "string") return "list continue is not a string";
  return { resourceVersion: metadata.resourceVersion, continueToken: token === "" ? undefined : token, items };
}

/** One line of a watch stream: `{"type": …, "object": …}`. */
export function parseWatchEvent(value: unknown): WatchEvent | string {
  if (!isObject(value) || typeof value.type !== "string" || !EVENT_TYPES.has(value.type)) return "bad watch event type";
  if (!isObject(value.object)) return "watch event has no object";
  return { type: value.type as WatchEventType, object: value.object };
}

/** The resourceVersion of an object (a slice, a bookmark); undefined when absent. */
export function resourceVersionOf(object: Record<string, unknown>): string | undefined {
  const metadata = object.metadata;
  const rv = isObject(metadata) ? metadata.resourceVersion : undefined;
  return typeof rv === "string" && rv.length > 0 ? rv : undefined;
}

export function metadataName(object: Record<string, unknown>): string | undefined {
  const metadata = object.metadata;
  const name = isObject(metadata) ? metadata.name : undefined;
  return typeof name === "string" && name.length > 0 && name.length <= 253 ? name : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
