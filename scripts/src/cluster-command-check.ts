/**
 * Validation of what crosses IPC into a cluster child. A child never trusts a message:
 * anything malformed is answered with an error naming what was wrong, never thrown.
 */
import { isIPv4 } from "node:net";
import type { ChildNodeSpec, Command, WireRequest } from "./cluster-protocol.js";

type Check<T> = { ok: true; value: T } | { ok: false; message: string };

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isName);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

export function checkRequest(value: unknown, where = "request"): Check<WireRequest> {
  if (!isRecord(value)) return fail(`${where} must be an object`);
  for (const key of ["module", "id", "capability"] as const) {
    if (!isName(value[key])) return fail(`${where}.${key} must be a non-empty string`);
  }
  const timeoutMs = value.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0)) {
    return fail(`${where}.timeoutMs must be a positive number`);
  }
  return { ok: true, value: value as unknown as WireRequest };
}

function checkRequests(value: unknown): Check<WireRequest[]> {
  if (!Array.isArray(value)) return fail("requests must be an array");
  for (const [i, request] of value.entries()) {
    const checked = checkRequest(request, `requests[${i}]`);
    if (!checked.ok) return checked;
  }
  return { ok: true, value: value as WireRequest[] };
}

/** Checks a command's shape; the child answers a failed check with MESH_ERR_INVALID_ARGUMENT. */
export function checkCommand(value: unknown): Check<Command> {
  if (!isRecord(value) || typeof value.op !== "string") return fail("command must be an object with an op");
  const ok = { ok: true, value: value as unknown as Command } as const;
  switch (value.op) {
    case "ping":
    case "stats":
    case "members":
    case "actors":
    case "process":
    case "stop":
      return ok;
    case "call":
    case "cast": {
      const checked = checkRequest(value.request);
      return checked.ok ? ok : checked;
    }
    case "callMany":
    case "loadStart": {
      const checked = checkRequests(value.requests);
      if (!checked.ok) return checked;
      if (!isPositiveInteger(value.concurrency)) return fail("concurrency must be a positive integer");
      if (value.op === "loadStart" && !isName(value.loadId)) return fail("loadId must be a non-empty string");
      for (const key of ["backoffMs", "pauseMs"] as const) {
        const v = value[key];
        if (v !== undefined && !(typeof v === "number" && v >= 0)) return fail(`${key} must be a number >= 0`);
      }
      if (value.maxCalls !== undefined && !isPositiveInteger(value.maxCalls)) {
        return fail("maxCalls must be a positive integer");
      }
      return ok;
    }
    case "loadPeek":
    case "loadStop":
      return isName(value.loadId) ? ok : fail("loadId must be a non-empty string");
    case "view":
      return isNameList(value.capabilities) ? ok : fail("capabilities must be an array of non-empty strings");
    case "owners":
      if (!isName(value.capability)) return fail("capability must be a non-empty string");
      return isNameList(value.ids) ? ok : fail("ids must be an array of non-empty strings");
    default:
      return fail(`unknown op ${JSON.stringify(value.op)}`);
  }
}

/** Checks the child's configuration (its first argument, JSON). */
export function checkSpec(value: unknown): Check<ChildNodeSpec> {
  if (!isRecord(value)) return fail("the node spec must be a JSON object");
  if (!isName(value.name)) return fail("spec.name must be a non-empty string");
  if (!isNameList(value.capabilities)) return fail("spec.capabilities must be an array of non-empty strings");
  if (!isNameList(value.clusterCapabilities)) {
    return fail("spec.clusterCapabilities must be an array of non-empty strings");
  }
  if (!isRecord(value.network)) return fail("spec.network must be an object");
  if (value.bindHost !== undefined && !(typeof value.bindHost === "string" && isIPv4(value.bindHost))) {
    return fail("spec.bindHost must be an IPv4 address");
  }
  for (const key of ["callTimeoutMs", "stopTimeoutMs"] as const) {
    if (value[key] !== undefined && !isPositiveInteger(value[key]))
      return fail(`spec.${key} must be a positive integer`);
  }
  return { ok: true, value: value as unknown as ChildNodeSpec };
}
