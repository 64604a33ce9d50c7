// Loopback receivers for the exporter tests: an HTTP endpoint, a UDP and a TCP syslog socket. Each
// records what it received and can be stopped mid-run.
import dgram from "node:dgram";
import http from "node:http";
import net, { type AddressInfo } from "node:net";

export interface HttpReceiver {
  readonly url: string;
  readonly bodies: string[];
  /** Status codes of the next responses, in order; 200 once the list is used up. */
  readonly statuses: number[];
  stop(): Promise<void>;
}

export async function startHttpReceiver(statuses: number[] = []): Promise<HttpReceiver> {
  const bodies: string[] = [];
  const server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const status = statuses.shift() ?? 200;
      if (status === 200) bodies.push(body);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    statuses,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SyslogReceiver {
  readonly address: string;
  readonly port: number;
  readonly messages: string[];
  stop(): Promise<void>;
}

export async function startUdpReceiver(): Promise<SyslogReceiver> {
  const messages: string[] = [];
  const socket = dgram.createSocket("udp4");
  socket.on("message", (message) => messages.push(message.toString()));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  return {
    address: `udp://127.0.0.1:${port}`,
    port,
    messages,
    stop: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** Starts a TCP syslog receiver that splits newline-framed messages. */
export async function startTcpReceiver(port = 0): Promise<SyslogReceiver> {
  const messages: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let pending = "";
    socket.on("data", (chunk) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      messages.push(...lines.filter((line) => line !== ""));
    });
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    address: `tcp://127.0.0.1:${address.port}`,
    port: address.port,
    messages,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Polls `condition` every 20 ms until it returns true or `timeoutMs` passes; returns its last result. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
