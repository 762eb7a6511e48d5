import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand } from "@mesh/testing";

export const hasOpenssl = (): boolean => hasCommand("openssl");

/** A throwaway CA and a server certificate it signed for 127.0.0.1, made by the openssl CLI. */
export interface TestCa {
  readonly dir: string;
  readonly caFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  remove(): void;
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "mesh-kube-ca-"));
  const at = (name: string) => join(dir, name);
  const run = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run("req", "-x509", ...ec, "-keyout", at("ca.key"), "-out", at("ca.crt"), "-subj", "/CN=mesh-test-ca", "-days", "1");
  run("req", ...ec, "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=kube-apiserver");
  writeFileSync(at("ext.cnf"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  run(
    "x509",
    "-req",
    "-in",
    at("server.csr"),
    "-CA",
    at("ca.crt"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-out",
    at("server.crt"),
    "-days",
    "1",
    "-extfile",
    at("ext.cnf"),
  );
  return {
    dir,
    caFile: at("ca.crt"),
    cert: readFileSync(at("server.crt")),
    key: readFileSync(at("server.key")),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
