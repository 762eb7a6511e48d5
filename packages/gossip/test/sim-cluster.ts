/**
 * Helpers for whole-cluster tests on the simulated network (not a test file:
 * imported by sim-*.test.ts). Every failure message carries the seed, and
 * MESH_SEED=<seed> replays the exact run.
 */
import { SimNetwork, type SimNetworkInit, type SimNode, testSeed } from "@mesh/testing";
import { createGossip, type Gossip, type GossipInit, type MemberState } from "../src/index.js";

export interface ClusterMember {
  readonly sim: SimNode;
  readonly gossip: Gossip;
}

export interface Cluster {
  readonly net: SimNetwork;
  readonly members: ClusterMember[];
  /** Adds and starts one more member (not joined). */
  add(init?: GossipInit, address?: SimNode["address"]): Promise<ClusterMember>;
}

export async function createCluster(
  n: number,
  options: { seed?: number; init?: (i: number) => GossipInit; net?: Omit<SimNetworkInit, "seed"> } = {},
): Promise<Cluster> {
  const net = new SimNetwork({ seed: options.seed ?? testSeed(), ...options.net });
  const members: ClusterMember[] = [];
  let next = 0;
  const add = async (init?: GossipInit, address?: SimNode["address"]): Promise<ClusterMember> => {
    const i = next++;
    const sim = net.addNode(address);
    const gossip = createGossip(
      { name: `n${i}`, ...(options.init?.(i) ?? {}), ...init },
      { transport: sim.transport, clock: sim.clock, random: sim.random },
    );
    await gossip.start();
    const m = { sim, gossip };
    members.push(m);
    return m;
  };
  for (let i = 0; i < n; i++) await add();
  return { net, members, add };
}

/** Every member joins through the first one, all at once; waits for the joins (simulated time). */
export async function joinAll(cluster: Cluster, members = cluster.members): Promise<void> {
  const seed = cluster.members[0] as ClusterMember;
  const address = seed.gossip.localMember.address;
  await cluster.net.settle(Promise.all(members.filter((m) => m !== seed).map((m) => m.gossip.join([address]))));
}

export function stateOf(viewer: ClusterMember, name: string): MemberState | undefined {
  return viewer.gossip.members().find((m) => m.name === name)?.state;
}

/** True when every observer sees every one of `names` in `state`. */
export function allSee(observers: readonly ClusterMember[], names: readonly string[], state: MemberState): boolean {
  for (const o of observers) {
    const view = new Map(o.gossip.members().map((m) => [m.name, m.state]));
    for (const name of names) if (view.get(name) !== state) return false;
  }
  return true;
}

export function names(members: readonly ClusterMember[]): string[] {
  return members.map((m) => m.gossip.name);
}

/** Adds the seed to an assertion failure, so the run can be replayed with MESH_SEED. */
export async function withSeed<T>(net: SimNetwork, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Error) error.message = `${error.message}\n  (replay with MESH_SEED=${net.seed})`;
    throw error;
  }
}
