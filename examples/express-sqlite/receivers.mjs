// Loopback receivers for demo-telemetry.mjs: an HTTP server that records POST bodies (webhooks
// and the OpenTelemetry preload) and syslog listeners over UDP and TCP. Each keeps the raw bytes
// it received, so that the demo can search them for secrets, and can be stopped mid-run.

import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";

const host = "127.0.0.1";

/**
 * Starts an HTTP server on a free loopback port that responds to every POST with 200 and `reply`,
 * and records `{ path, raw }` per request.
 */
export async function startHttpReceiver(label, reply = "ok") {
  const received = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "/", raw: Buffer.concat(chunks).toString("utf8") });
      response.writeHead(200, { "content-type": "text/plain" }).end(reply);
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });

  return {
    label,
    url: `http://${host}:${server.address().port}`,
    received,
    stop: () => closeHttpServer(server),
  };
}

function closeHttpServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts a UDP syslog listener on a free loopback port; each datagram is one message. */
export async function startUdpSyslog(label) {
  const received = [];
  const socket = dgram.createSocket("udp4");
  socket.on("message", (message) => received.push({ raw: message.toString("utf8") }));
  await new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, host, resolve);
  });

  return {
    label,
    url: `udp://${host}:${socket.address().port}`,
    received,
    stop: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** Starts a TCP syslog listener on a free loopback port; messages are newline-framed (RFC 6587). */
export async function startTcpSyslog(label) {
  const received = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop();
      for (const line of lines) if (line !== "") received.push({ raw: line });
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });

  return {
    label,
    url: `tcp://${host}:${server.address().port}`,
    received,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/**
 * GETs a metrics endpoint over a connection that closes after the response. NOTE: a keep-alive
 * connection left open to the agent's endpoint (as fetch leaves one) delays the app's exit after
 * SIGTERM until the server's keep-alive timeout, because accepted sockets keep the process alive.
 */
export function scrape(url) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 5000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () =>
        response.statusCode === 200
          ? resolve(body)
          : reject(new Error(`GET ${url} returned ${response.statusCode}`)),
      );
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on("error", reject);
  });
}

/** Resolves once `condition()` is true, or with false after `timeoutMs`; polls every 50 ms. */
export async function waitFor(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
