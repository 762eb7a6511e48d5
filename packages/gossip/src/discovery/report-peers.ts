import type { Logger } from "@mesh/interface";
import { type Address, addressKey } from "../transport/transport.js";
import type { DiscoveryContext } from "./discovery.js";

/**
 * Hands every address but this node's own to the membership layer, once each,
 * and returns how many it reported. The membership layer skips members it
 * already knows, so strategies report their whole answer at every round: a join
 * that failed (the peer was not listening yet) is simply tried again.
 */
export function reportPeers(context: DiscoveryContext, addresses: readonly Address[], logger: Logger): number {
  const own = addressKey(context.address);
  const seen = new Set<string>();
  for (const address of addresses) {
    const key = addressKey(address);
    if (key === own || seen.has(key)) continue;
    seen.add(key);
    try {
      context.onPeer({ address });
    } catch (error) {
      logger.warn("discovery onPeer threw", { error: String(error) });
    }
  }
  return seen.size;
}
