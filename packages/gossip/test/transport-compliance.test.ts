import { Keyring } from "../src/security/keyring.js";
import { secureTransport } from "../src/security/secure-transport.js";
import { closedPort, LOOPBACK, loopbackTransport } from "./net-helpers.js";
import { transportCompliance } from "./transport-compliance.js";

transportCompliance("udp on 127.0.0.1", async () => ({
  a: loopbackTransport(),
  b: loopbackTransport(),
  unreachable: { host: LOOPBACK, port: await closedPort() },
}));

transportCompliance("secureTransport(udp) on 127.0.0.1", async () => {
  const keyring = Keyring.fromSecret("compliance secret with enough entropy 7f3a9c");
  return {
    a: secureTransport(loopbackTransport(), keyring),
    b: secureTransport(loopbackTransport(), keyring),
    unreachable: { host: LOOPBACK, port: await closedPort() },
  };
});
