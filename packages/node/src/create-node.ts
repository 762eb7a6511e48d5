import { createHasher } from "@mesh/ring";
import { ADMIN_ADDRESS_TAG, startAdmin } from "./admin-source.js";
import { asciiFastHasher } from "./ascii-hasher.js";
import { type ClusterLink, LoneLink, NetworkLink, type NodeComponents } from "./cluster-link.js";
import { MeshNode } from "./mesh-node.js";
import { type NodeInit, resolveNodeConfig } from "./node-init.js";
import { loadTracing } from "./tracing.js";

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
            tags: (): Record<string, string> =>
              adminAddress === undefined ? {} : { [ADMIN_ADDRESS_TAG]: adminAddress },
          },
          components,
        );
  let adminAddress: string | undefined;
  const tracing = await loadTracing(config.tracing, config.name, config.logger);
  const node = new MeshNode(config, asciiFastHasher(await createHasher()), link, tracing);
  // Up before the join, so that probes see "joining" rather than nothing.
  const admin =
    config.admin === undefined ? undefined : await startAdmin(node, config.admin, config.logger, config.clock);
  adminAddress = admin?.address;
  try {
    await node.start();
  } catch (error) {
    await admin?.server.stop();
    throw error;
  }
  admin?.source.baseline();
  return node;
}
