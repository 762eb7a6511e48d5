/**
 * A lab of test hosts: each host is a network namespace with its own IPv4 address on
 * a private /24 (10.231.<octet>.0/24), cabled by a veth to a bridge that lives in a
 * "switch" namespace of its own — so the machine's own namespace never gets an
 * address or a route on the test subnet, and nothing sent in the lab can leave it.
 *
 * Faults:
 * - partition: the bridge stops forwarding between the ports of different sides
 *   (nftables, bridge family, in the switch namespace) — unicast and multicast alike;
 * - loss: a host drops a share of the packets it receives (nftables `numgen random`
 *   in the host's own namespace).
 *
 * Names: `mtc-<octet>-<owner pid>-<role>`. Everything is registered for cleanup
 * (cleanup.ts) as soon as it exists.
 */
import { readdirSync } from "node:fs";
import { deleteNamespaceSync, forget, register, release } from "./cleanup.js";
import { inNamespace, run } from "./shell.js";

/** The prefix of every namespace the lab creates. */
export const LAB_PREFIX = "mtc";
/** The lab's share of the private address space: 10.231.0.0/16, one /24 per lab. */
export const LAB_NET = "10.231";

/** One test host. */
export interface Host {
  readonly name: string;
  /** Its network namespace. */
  readonly ns: string;
  /** Its address on the lab's subnet. */
  readonly ip: string;
  /** Its port on the switch's bridge. */
  readonly port: string;
}

const PARTITION_TABLE = "mtc_partition";
const LOSS_TABLE = "mtc_loss";

/** The third octets of the labs that exist now (from namespace names). */
function usedOctets(): Set<number> {
  let names: string[] = [];
  try {
    names = readdirSync("/run/netns");
  } catch {
    // No namespace yet.
  }
  const used = new Set<number>();
  for (const name of names) {
    const match = /^mtc-(\d+)-/.exec(name);
    if (match !== null) used.add(Number(match[1]));
  }
  return used;
}

/** The PIDs owning a lab switch on `octet` now. */
function switchOwners(octet: number): number[] {
  let names: string[] = [];
  try {
    names = readdirSync("/run/netns");
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const match = new RegExp(`^mtc-${octet}-(\\d+)-sw$`).exec(name);
    return match === null ? [] : [Number(match[1])];
  });
}

export class HostLab {
  /** `<octet>-<pid>`: in every name the lab creates. */
  readonly runId: string;
  readonly subnet: string;
  readonly #octet: number;
  readonly #switch: string;
  readonly #hosts = new Map<string, Host>();
  #destroyed = false;

  private constructor(octet: number) {
    this.#octet = octet;
    this.runId = `${octet}-${process.pid}`;
    this.subnet = `${LAB_NET}.${octet}.0/24`;
    this.#switch = `${LAB_PREFIX}-${this.runId}-sw`;
  }

  /** Creates the switch and one host per name. Removes everything again if a step fails. */
  static async create(hostNames: readonly string[]): Promise<HostLab> {
    const lab = await HostLab.#claimSubnet();
    try {
      for (const name of hostNames) await lab.addHost(name);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  /**
   * Picks a /24 no other lab uses and creates the switch under it; if another lab
   * claimed the same /24 at the same moment (both switches exist), the one with the
   * higher PID gives it up and tries another.
   */
  static async #claimSubnet(): Promise<HostLab> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const used = usedOctets();
      const free = Array.from({ length: 250 }, (_, i) => i + 1).filter((o) => !used.has(o));
      const octet = free[Math.floor(Math.random() * free.length)];
      if (octet === undefined) throw new Error(`no free /24 left in ${LAB_NET}.0.0/16`);
      const lab = new HostLab(octet);
      try {
        await lab.#createSwitch();
      } catch (error) {
        await lab.destroy();
        throw error;
      }
      const rivals = switchOwners(octet).filter((pid) => pid !== process.pid);
      if (rivals.every((pid) => pid > process.pid)) return lab;
      await lab.destroy();
    }
    throw new Error(`could not claim a /24 of ${LAB_NET}.0.0/16 for a lab`);
  }

  /** Every host, in creation order. */
  get hosts(): readonly Host[] {
    return [...this.#hosts.values()];
  }

  host(name: string): Host {
    const host = this.#hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name} in lab ${this.runId}`);
    return host;
  }

  /** Adds a host: a namespace, its veth to the bridge, its address, multicast on. */
  async addHost(name: string): Promise<Host> {
    if (this.#hosts.has(name)) throw new Error(`host ${name} exists`);
    const index = this.#hosts.size + 1;
    if (index > 250) throw new Error("a lab holds at most 250 hosts");
    const host: Host = {
      name,
      ns: `${LAB_PREFIX}-${this.runId}-h${index}`,
      ip: `${LAB_NET}.${this.#octet}.${index}`,
      port: `p${index}`,
    };
    await this.#namespace(host.ns);
    this.#hosts.set(name, host);
    await run("ip", [
      "-n",
      this.#switch,
      "link",
      "add",
      host.port,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      host.ns,
    ]);
    await run("ip", ["-n", this.#switch, "link", "set", host.port, "master", "br0", "up"]);
    await run("ip", ["-n", host.ns, "link", "set", "lo", "up"]);
    await run("ip", ["-n", host.ns, "addr", "add", `${host.ip}/24`, "dev", "eth0"]);
    await run("ip", ["-n", host.ns, "link", "set", "eth0", "multicast", "on", "up"]);
    return host;
  }

  /**
   * Cuts the lab into `sides` (host names): the bridge forwards nothing between
   * hosts on different sides. Hosts on no side keep talking to everyone. Replaces an
   * earlier partition.
   */
  async partition(sides: readonly (readonly string[])[]): Promise<void> {
    const portsOf = (side: readonly string[]): string => side.map((n) => `"${this.host(n).port}"`).join(", ");
    const rules: string[] = [];
    for (const [i, a] of sides.entries()) {
      for (const [j, b] of sides.entries()) {
        if (i !== j) rules.push(`    iifname { ${portsOf(a)} } oifname { ${portsOf(b)} } drop`);
      }
    }
    await this.heal();
    await inNamespace(
      this.#switch,
      "nft",
      ["-f", "-"],
      `table bridge ${PARTITION_TABLE} {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n${rules.join("\n")}\n  }\n}\n`,
    );
  }

  /** Removes the partition: the bridge forwards everything again. */
  async heal(): Promise<void> {
    await inNamespace(
      this.#switch,
      "nft",
      ["-f", "-"],
      `add table bridge ${PARTITION_TABLE}\ndelete table bridge ${PARTITION_TABLE}\n`,
    );
  }

  /** Host `name` drops `percent` % of the packets it receives on its lab interface, at random. */
  async setLoss(name: string, percent: number): Promise<void> {
    if (!(Number.isInteger(percent) && percent >= 0 && percent <= 100)) throw new Error(`bad loss ${percent}`);
    const { ns } = this.host(name);
    await this.clearLoss(name);
    await inNamespace(
      ns,
      "nft",
      ["-f", "-"],
      `table inet ${LOSS_TABLE} {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    iifname "eth0" numgen random mod 100 < ${percent} counter drop\n  }\n}\n`,
    );
  }

  /** Host `name` receives everything again. */
  async clearLoss(name: string): Promise<void> {
    const { ns } = this.host(name);
    await inNamespace(ns, "nft", ["-f", "-"], `add table inet ${LOSS_TABLE}\ndelete table inet ${LOSS_TABLE}\n`);
  }

  /** Packets host `name` dropped for loss so far (the nft counter). */
  async lossDrops(name: string): Promise<number> {
    const out = await inNamespace(this.host(name).ns, "nft", ["list", "table", "inet", LOSS_TABLE]).catch(() => "");
    const match = /counter packets (\d+)/.exec(out);
    return match === null ? 0 : Number(match[1]);
  }

  /** The command that runs a program inside host `name`. */
  launcher(name: string): readonly string[] {
    return ["ip", "netns", "exec", this.host(name).ns];
  }

  /** Removes every host and the switch (killing what still runs inside). Idempotent. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const host of [...this.#hosts.values()].reverse()) release(host.ns);
    release(this.#switch);
  }

  async #createSwitch(): Promise<void> {
    await this.#namespace(this.#switch);
    await run("ip", ["-n", this.#switch, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"]);
    await run("ip", ["-n", this.#switch, "link", "set", "br0", "up"]);
  }

  async #namespace(ns: string): Promise<void> {
    // Registered before it exists: a signal while `ip` runs still removes it. If `ip`
    // fails, it was not made (or is someone else's): forget it, never delete it.
    register(ns, () => deleteNamespaceSync(ns));
    try {
      await run("ip", ["netns", "add", ns]);
    } catch (error) {
      forget(ns);
      throw error;
    }
  }
}
