import { type ChildProcess, spawn } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand, waitFor } from "@mesh/testing";

/** A name's A record, or an SRV record (target and port) under a name. */
export interface DnsRecords {
  readonly a?: readonly (readonly [name: string, ip: string])[];
  readonly srv?: readonly { readonly name: string; readonly target: string; readonly port: number }[];
}

export const hasDnsmasq = (): boolean => hasCommand("dnsmasq");
const READY_NAME = "ready.mesh.test";

/**
 * A real DNS server (dnsmasq) on a random loopback address and port, answering
 * only from the records given: authoritative for `domains` (unknown names there
 * are NXDOMAIN), no upstream, no /etc/hosts. Records change by a restart on the
 * same address and port; stop() kills it by its PID and removes its files.
 */
export class DnsmasqServer {
  readonly host: string;
  readonly port: number;
  readonly #dir: string;
  readonly #domains: readonly string[];
  #child: ChildProcess | undefined;
  #log = "";

  private constructor(host: string, port: number, dir: string, domains: readonly string[]) {
    this.host = host;
    this.port = port;
    this.#dir = dir;
    this.#domains = domains;
  }

  /** "host:port", for `nameservers`. */
  get nameserver(): string {
    return `${this.host}:${this.port}`;
  }

  static async start(records: DnsRecords, domains: readonly string[] = ["mesh.test", "cluster.local"]) {
    const dir = await mkdtemp(join(tmpdir(), "mesh-dnsmasq-"));
    let lastError: unknown;
    for (let tries = 0; tries < 5; tries++) {
      const host = `127.53.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
      const port = 20_000 + Math.floor(Math.random() * 40_000);
      const server = new DnsmasqServer(host, port, dir, domains);
      try {
        await server.update(records);
        return server;
      } catch (error) {
        lastError = error;
        await server.halt();
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  /** Serves `records` from now on (a restart: queries in between fail, as with a real outage). */
  async update(records: DnsRecords): Promise<void> {
    await this.halt();
    const hosts = [...(records.a ?? []), [READY_NAME, "127.0.0.1"] as const].map(([name, ip]) => `${ip} ${name}`);
    await writeFile(join(this.#dir, "hosts"), `${hosts.join("\n")}\n`);
    const srv = (records.srv ?? []).map((r) => `srv-host=${r.name},${r.target},${r.port},0,10`);
    await writeFile(join(this.#dir, "dnsmasq.conf"), `${srv.join("\n")}\n`);
    await this.resume();
  }

  /** Starts it again after halt(), with the same records. */
  async resume(): Promise<void> {
    const args = [
      "--keep-in-foreground",
      `--conf-file=${join(this.#dir, "dnsmasq.conf")}`,
      "--no-resolv",
      "--no-hosts",
      "--bind-interfaces",
      `--listen-address=${this.host}`,
      `--port=${this.port}`,
      `--addn-hosts=${join(this.#dir, "hosts")}`,
      ...this.#domains.map((d) => `--local=/${d}/`),
      "--pid-file=",
      "--log-facility=-",
      ...(process.getuid?.() === 0 ? ["--user=root"] : []),
    ];
    const child = spawn("dnsmasq", args, { stdio: ["ignore", "ignore", "pipe"] });
    this.#child = child;
    this.#log = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-4_000);
    });
    const resolver = new Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([this.nameserver]);
    await waitFor(
      "dnsmasq to answer",
      async () => {
        if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${this.#log}`);
        return (await resolver.resolve4(READY_NAME).catch(() => [])).length > 0;
      },
      { timeoutMs: 5_000, intervalMs: 50, describe: () => this.#log },
    );
  }

  /** Stops the server (kill by PID), keeping its files: the resolver now fails. */
  async halt(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }

  async stop(): Promise<void> {
    await this.halt();
    await rm(this.#dir, { recursive: true, force: true });
  }
}
