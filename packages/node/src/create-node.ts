import { createHasher } from "@mesh/ring";
import { asciiFastHasher } from "./ascii-hasher.js";
import { type ClusterLink, LoneLink, NetworkLink, type NodeComponents } from "./cluster-link.js";
import { MeshNode } from "./mesh-node.js";
import { type NodeInit, resolveNodeConfig } from "./node-init.js";

/**
 * Starts a node in this process and, when network options are given, joins the
 * cluster. `components` replaces the real transports (tests run clusters on a
 * simulator). See {@link NodeInit}.
 */
export async function createNode(init: NodeInit = {}, components: NodeComponents = {}): Promise<MeshNode> {
  const config = resolveNodeConfig(init);
  const network = config.network;
  const link: ClusterLink =
    network === undefined
      ? new LoneLink()
      : new NetworkLink(
          {
            name: config.name,
            capabilities: config.capabilities,
            weight: config.weight,
            network,
            clock: config.clock,
            logger: config.logger,
            callTimeoutMs: config.callTimeoutMs,
            maxFrameBytes: config.maxFrameBytes,
          },
          components,
        );
  const node = new MeshNode(config, asciiFastHasher(await createHasher()), link);
  await node.start();
  return node;
}
