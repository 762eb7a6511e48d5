import { SimNetwork, testSeed } from "@mesh/testing";
import { transportCompliance } from "./transport-compliance.js";

// The simulated network must honour the same contract as the real transports,
// or simulations would prove things about a network that does not exist.
transportCompliance("simulated network", () => {
  const net = new SimNetwork({ seed: testSeed() });
  return {
    a: net.addNode().transport,
    b: net.addNode().transport,
    unreachable: { host: "127.0.9.9", port: 7946 },
    advance: (ms) => net.clock.advance(ms),
  };
});
