/**
 * The example app's image run as real containers through testcontainers, on an
 * `--internal` network with its own subnet (10.232.x.0/24), so nothing the
 * containers send can leave it and the host gets no route into it. The test on the
 * host drives and observes each container by exec: `node app-client.js ...` runs
 * inside the container and talks to the app on the container's own loopback.
 *
 * Works against any Docker API: podman's (`podman system service`, as .ci/containers.sh
 * starts it) or a real Docker engine. Everything created is removed in `close()`.
 */
import { execFileSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { waitFor } from "@mesh/testing";
import {
  type ContainerRuntimeClient,
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
  Wait,
} from "testcontainers";

/** The prefix of every container, network and image tag these tests create. */
export const PREFIX = "mct";

const BUILD_IMAGES = fileURLToPath(new URL("../../../deploy/build-images.sh", import.meta.url));

/** The socket the Docker API is reached at, or undefined when there is none. */
export function dockerSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return existsSync(host.slice("unix://".length)) ? host : undefined;
  if (host !== undefined && host !== "") return host;
  return existsSync("/var/run/docker.sock") ? "unix:///var/run/docker.sock" : undefined;
}

/** One member of the view an app reports at GET /view. */
export interface ViewMember {
  readonly name: string;
  readonly state: string;
  readonly address: string;
  readonly capabilities: readonly string[];
}
export interface AppView {
  readonly name: string;
  readonly ready: boolean;
  readonly members: readonly ViewMember[];
  readonly nodesFor: Readonly<Record<string, readonly string[]>>;
}

/** A container of the app, created on the given network with the given aliases at create time. */
class AppContainer extends GenericContainer {
  readonly #network: string;
  readonly #aliases: readonly string[];
  readonly #created: (id: string) => void;
  constructor(image: string, network: string, aliases: readonly string[], created: (id: string) => void) {
    super(image);
    this.#network = network;
    this.#aliases = aliases;
    this.#created = created;
    // Created on the internal network only: testcontainers' own alias path would first
    // attach the container to the runtime's default (routed) network.
    this.withNetworkMode(network);
    // As the StatefulSet runs it: read-only root, a writable /tmp, no capabilities.
    this.hostConfig.ReadonlyRootfs = true;
    this.hostConfig.CapDrop = ["ALL"];
    this.hostConfig.Tmpfs = { "/tmp": "rw,size=16m" };
  }
  protected override async beforeContainerCreated(): Promise<void> {
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [this.#network]: { Aliases: [...this.#aliases] } } };
  }
  /** Recorded before it starts, so a container whose start fails is removed too. */
  protected override async containerCreated(id: string): Promise<void> {
    this.#created(id);
  }
}

export interface AppOptions {
  /** The node's name (MESH_NODE_NAME); the container is named `<run>-<name>-<n>`. */
  readonly name: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly aliases?: readonly string[];
}

/** A private network, the images and the containers of one test file. */
export class ContainerCluster {
  readonly run = `${PREFIX}-${randomBytes(3).toString("hex")}`;
  /** Sealed gossip and calls: a cluster of another run never merges with this one. */
  readonly secret = randomBytes(16).toString("hex");
  readonly multicastPort = randomInt(40_000, 50_000);
  /** The id of every container created, started or not. */
  readonly #created = new Set<string>();
  #client: ContainerRuntimeClient | undefined;
  #networkId: string | undefined;
  #subnet = "";
  #images: string[] = [];
  #image = "";
  #serial = 0;

  get network(): string {
    return `${this.run}-net`;
  }
  get subnet(): string {
    return this.#subnet;
  }
  get image(): string {
    return this.#image;
  }

  /** The app image (MESH_APP_IMAGE, or built now by deploy/build-images.sh) and an internal network. */
  async open(): Promise<void> {
    this.#client = await getContainerRuntimeClient();
    const given = process.env.MESH_APP_IMAGE;
    if (given !== undefined && given !== "") {
      this.#image = given;
    } else {
      const runtime = `localhost/${this.run}-runtime:test`;
      this.#image = `localhost/${this.run}-app:test`;
      this.#images = [this.#image, runtime];
      execFileSync("bash", [BUILD_IMAGES, runtime, this.#image], { stdio: ["ignore", "ignore", "inherit"] });
    }
    // A /24 of 10.232.0.0/16 that no other network uses; runs side by side pick others.
    for (let attempt = 0; ; attempt++) {
      const octet = randomInt(0, 256);
      this.#subnet = `10.232.${octet}.0/24`;
      try {
        const network = await this.#client.network.create({
          Name: this.network,
          Driver: "bridge",
          Internal: true,
          IPAM: { Driver: "default", Config: [{ Subnet: this.#subnet, Gateway: `10.232.${octet}.1` }] },
          Labels: this.#labels(),
        });
        this.#networkId = network.id;
        return;
      } catch (error) {
        if (attempt >= 8) throw error;
      }
    }
  }

  /** Starts one app container and waits for its "listening" line. */
  async start(options: AppOptions): Promise<StartedTestContainer> {
    const container = await new AppContainer(this.#image, this.network, options.aliases ?? [], (id) =>
      this.#created.add(id),
    )
      .withName(`${this.run}-${options.name}-${++this.#serial}`)
      .withEnvironment({
        MESH_NODE_NAME: options.name,
        MESH_SECRET: this.secret,
        MESH_MULTICAST_PORT: String(this.multicastPort),
        MESH_GOSSIP_PRESET: "local",
        MESH_PROBE_INTERVAL_MS: "200",
        ...options.env,
      })
      .withLabels(this.#labels())
      .withWaitStrategy(Wait.forLogMessage(/"event":"listening"/))
      .withStartupTimeout(30_000)
      .start();
    return container;
  }

  /** Runs app-client.js inside `container`; throws with its output on a non-zero exit. */
  async client(container: StartedTestContainer, args: readonly string[]): Promise<string> {
    const result = await container.exec(["node", "/app/dist/app-client.js", ...args]);
    if (result.exitCode !== 0) {
      throw new Error(`app-client ${args.join(" ")} exited ${result.exitCode}: ${result.stdout}${result.stderr}`);
    }
    return result.stdout;
  }

  async view(container: StartedTestContainer): Promise<AppView> {
    return JSON.parse(await this.client(container, ["get", "/view"])) as AppView;
  }

  /**
   * Waits until `container` is ready, sees exactly `alive` alive, and has exactly
   * the given nodes in each capability's table (@default every alive one owning game).
   */
  async waitForMembers(
    container: StartedTestContainer,
    alive: readonly string[],
    owners: Readonly<Record<string, readonly string[]>> = { game: alive },
    timeoutMs = 30_000,
  ): Promise<AppView> {
    const key = (names: readonly string[] | undefined): string => [...(names ?? [])].sort().join(",");
    let last: AppView | undefined;
    await waitFor(
      `${container.getName()} to see ${key(alive)} alive and owners ${JSON.stringify(owners)}`,
      async () => {
        last = await this.view(container).catch(() => undefined);
        if (last === undefined || !last.ready) return false;
        const seen = last.members.filter((m) => m.state === "alive").map((m) => m.name);
        const view = last;
        return (
          key(seen) === key(alive) &&
          Object.entries(owners).every(([capability, names]) => key(view.nodesFor[capability]) === key(names))
        );
      },
      { timeoutMs, intervalMs: 250, describe: () => JSON.stringify(last) },
    );
    return last as AppView;
  }

  /** The log lines (JSON events) the app printed on stdout so far. */
  async events(container: StartedTestContainer): Promise<Record<string, unknown>[]> {
    const docker = this.#runtime().container.dockerode;
    const raw = await docker.getContainer(container.getId()).logs({ stdout: true, stderr: false, follow: false });
    // Without a TTY the Docker API multiplexes: an 8-byte header (stream, 3 zero bytes, size) per frame.
    let text = "";
    for (let at = 0; at + 8 <= raw.length; ) {
      const size = raw.readUInt32BE(at + 4);
      text += raw.subarray(at + 8, at + 8 + size).toString("utf8");
      at += 8 + size;
    }
    return text
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** SIGKILL, as a crash or an OOM kill would. */
  async kill(container: StartedTestContainer): Promise<void> {
    await this.#runtime().container.dockerode.getContainer(container.getId()).kill({ signal: "SIGKILL" });
  }

  /** The user the container's process runs as, by its own account. */
  async uid(container: StartedTestContainer): Promise<string> {
    const result = await container.exec([
      "node",
      "-e",
      'process.stdout.write(process.getuid() + ":" + process.getgid())',
    ]);
    return result.stdout;
  }

  /** The container's exit code once it has exited. */
  async exitCode(container: StartedTestContainer): Promise<number | undefined> {
    const info = await this.#runtime().container.dockerode.getContainer(container.getId()).inspect();
    return info.State.Running ? undefined : info.State.ExitCode;
  }

  /** Removes every container, the network and the images this run built; safe on failure paths. */
  async close(): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    const docker = client.container.dockerode;
    await Promise.all(
      [...this.#created].map((id) =>
        docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    this.#created.clear();
    if (this.#networkId !== undefined)
      await docker
        .getNetwork(this.#networkId)
        .remove()
        .catch(() => undefined);
    for (const image of this.#images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
  }

  /** Labels on everything created, so CI can remove what a killed test run left behind. */
  #labels(): Record<string, string> {
    return { "mesh.test.run": this.run, "mesh.test.owner": process.env.MESH_TEST_OWNER ?? "local" };
  }

  #runtime(): ContainerRuntimeClient {
    if (this.#client === undefined) throw new Error("ContainerCluster.open() first");
    return this.#client;
  }
}
