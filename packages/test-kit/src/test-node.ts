import type { CallResult, MemberView, MeshNode, NodeStats, Request } from "@mesh/node";

/** Runs the simulation until `promise` settles (the cluster's `settle`). */
export type Settle = <T>(promise: Promise<T>) => Promise<T>;

/**
 * A node of a test cluster. `call` and `cast` run the simulated clock until they
 * settle, so a test awaits them as it would on a real cluster; `mesh` is the
 * real node underneath for anything else (events, `ref`, capabilities).
 */
export class TestNode {
  readonly name: string;
  readonly mesh: MeshNode;
  readonly #settle: Settle;

  /** @internal made by the test cluster */
  constructor(mesh: MeshNode, settle: Settle) {
    this.name = mesh.name;
    this.mesh = mesh;
    this.#settle = settle;
  }

  /** `MeshNode.call`, driving simulated time until the reply (or the call's timeout). */
  call<R = unknown>(request: Request): Promise<CallResult<R>> {
    return this.#settle(this.mesh.call<R>(request));
  }

  /** `MeshNode.cast`, driving simulated time until it is sent. */
  cast(request: Request): Promise<void> {
    return this.#settle(this.mesh.cast(request));
  }

  /** The nodes hosting `capability`, as this node sees them. */
  nodesFor(capability: string): readonly string[] {
    return this.mesh.nodesFor(capability);
  }

  /** The node that owns `id` on `capability`'s ring, as this node sees it. */
  ownerOf(capability: string, id: string): string | undefined {
    return this.mesh.ownerNode(this.mesh.shardFor(id), capability);
  }

  /** Every member this node knows, itself included. */
  members(): readonly MemberView[] {
    return this.mesh.members();
  }

  /** Names of the members this node sees alive, sorted. */
  alive(): readonly string[] {
    return this.members()
      .filter((m) => m.state === "alive")
      .map((m) => m.name)
      .sort();
  }

  stats(): NodeStats {
    return this.mesh.stats();
  }
}
