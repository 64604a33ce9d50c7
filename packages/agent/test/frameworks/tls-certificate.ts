import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A self-signed certificate for 127.0.0.1, as PEM files and their text. */
export interface TlsCertificate {
  readonly keyFile: string;
  readonly certFile: string;
  /** The certificate, for clients to trust as their only CA. */
  readonly cert: string;
  remove(): void;
}

/**
 * Generates a key and a self-signed certificate for `127.0.0.1` and `localhost` with the openssl
 * command (node:crypto cannot issue X.509 certificates). Throws when openssl is not installed.
 */
export function createTlsCertificate(): TlsCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), "rampart-tls-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "pipe" },
  );
  return {
    keyFile,
    certFile,
    cert: readFileSync(certFile, "utf8"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** True when the openssl command runs, so tests that need a certificate can skip with a reason. */
export function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}
