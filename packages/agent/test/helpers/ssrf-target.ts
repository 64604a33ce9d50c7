import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Loopback HTTP server that SSRF tests point the fixture apps at. It records every request path and
 * responds to `/redirect?to=<url>` with a 302 to that URL and to anything else with 200.
 */
export interface SsrfTarget {
  readonly origin: string;
  readonly port: number;
  /** Paths (with query) of the requests received so far. */
  readonly paths: string[];
  close(): Promise<void>;
}

/** Creates a self-signed certificate for 127.0.0.1 and `allowed.test` with openssl, valid one day. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const directory = mkdtempSync(path.join(tmpdir(), "rampart-ssrf-tls-"));
  try {
    const keyFile = path.join(directory, "key.pem");
    const certFile = path.join(directory, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:allowed.test",
      ],
      { stdio: "ignore" },
    );
    return { key: readFileSync(keyFile), cert: readFileSync(certFile) };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Starts the target over HTTP, or over HTTPS with a fresh self-signed certificate. */
export async function startSsrfTarget(protocol: "http" | "https" = "http"): Promise<SsrfTarget> {
  const paths: string[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    paths.push(req.url ?? "");
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/redirect") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/" });
      res.end();
      return;
    }
    res.end("target-ok");
  };
  const server =
    protocol === "https"
      ? https.createServer(selfSignedCertificate(), listener)
      : http.createServer(listener);
  // Long enough for clients to reuse sockets between requests, as apps in production do.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `${protocol}://127.0.0.1:${port}`,
    port,
    paths,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Loopback TCP server that only counts accepted connections, for clients that speak TLS. */
export async function startConnectionCounter(): Promise<{
  port: number;
  count(): number;
  close(): Promise<void>;
}> {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    count: () => accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
