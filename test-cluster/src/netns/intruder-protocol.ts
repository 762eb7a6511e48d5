/**
 * What the test asks of the intruder process (intruder.ts), a host inside the lab's
 * net that does not hold the cluster's secret. Same envelope as the cluster child's
 * IPC (request id, one reply each).
 */
export type IntruderCommand =
  /** `count` datagrams of random bytes and sizes to host:port (and to the multicast group, if given). */
  | {
      readonly op: "flood";
      readonly host: string;
      readonly port: number;
      readonly count: number;
      readonly multicast?: { readonly group: string; readonly port: number; readonly count: number };
    }
  /**
   * `perPort` TCP connections to each of host:ports; every one announces a frame of
   * `frameBytes`, sends `sendBytes` of it at once and a little more every 500 ms,
   * never finishing it. They stay open until `release`.
   */
  | {
      readonly op: "garbage";
      readonly host: string;
      readonly ports: readonly number[];
      readonly perPort: number;
      readonly frameBytes: number;
      readonly sendBytes: number;
    }
  /** Closes the garbage connections; says how many the server had closed first. */
  | { readonly op: "release" }
  /** Starts `count` Mesh nodes with no secret, named fake-1…, joining through `seeds`. */
  | { readonly op: "fakes"; readonly seeds: readonly string[]; readonly count: number; readonly capability: string }
  /** A call straight to a member's call endpoint, sealed with the wrong secret (or none). */
  | {
      readonly op: "directCall";
      readonly address: string;
      readonly secret: string | null;
      readonly capability: string;
      readonly module: string;
      readonly id: string;
    }
  | { readonly op: "stop" };

export interface FloodResult {
  readonly sent: number;
  readonly errors: number;
}

export interface GarbageResult {
  readonly opened: number;
  readonly failed: number;
}

export interface ReleaseResult {
  /** Connections the server closed (or reset) before the release. */
  readonly closedByServer: number;
  /** Connections still open at the release. */
  readonly open: number;
  /** Bytes written in all. */
  readonly bytesSent: number;
}

export type DirectCallResult =
  | { readonly ok: true; readonly response: unknown }
  | { readonly ok: false; readonly code: string };
