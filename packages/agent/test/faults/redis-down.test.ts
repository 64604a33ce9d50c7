import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { agentLogLines, fetchMetrics, metricValue } from "./fault-helpers";

/** Returns a loopback port that nothing listens on (bound once, then released). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A loopback TCP server that accepts connections and never writes a byte, as a hung Redis does. */
interface SilentServer {
  readonly port: number;
  readonly connections: number;
  kill(): Promise<void>;
}

async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => sockets.delete(socket));
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    kill: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function gatePolicy(port: number, limit: number): string {
  return JSON.stringify({
    store: { type: "redis", url: `redis://127.0.0.1:${port}`, timeoutMs: 50, maxEntries: 1000 },
    rateLimits: [{ route: "/api/*", key: "ip", limit, windowSeconds: 60 }],
  });
}

async function statuses(app: RunningApp, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let index = 0; index < count; index++) {
    const response = await fetch(`${app.url}/api/items`);
    const body = await response.text();
    if (response.status === 200) assert.equal(body, '{"items":[1,2,3]}');
    result.push(response.status);
  }
  return result;
}

describe("gate store with nothing listening", () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp({
      script: "faults-gate.cjs",
      loader: "require",
      mode: "block",
      env: {
        RAMPART_TEST_GATE_POLICY: gatePolicy(await unusedPort(), 3),
        RAMPART_PROMETHEUS: "true",
      },
    });
  });
  after(() => app.stop());

  test("limits enforced from memory", async () => {
    const started = Date.now();
    assert.deepEqual(await statuses(app, 5), [200, 200, 200, 429, 429]);
    const elapsed = Date.now() - started;
    // Each command waits at most the 50 ms timeout; the margin is for a shared machine.
    assert.ok(elapsed < 3_000, `five requests took ${elapsed} ms`);

    const search = await fetch(`${app.url}/search?name=alice`);
    assert.equal(search.status, 200);
  });

  test("failure visible in metrics and log", async () => {
    const metrics = await fetchMetrics(app);
    assert.ok(
      metricValue(metrics, "rampart_agent_errors_total", { kind: "gate.redis" }) >= 1,
      metrics,
    );
    const warnings = agentLogLines(app).filter((line) =>
      line.msg.includes("unreachable; counting in memory"),
    );
    assert.equal(warnings.length, 1, app.stderr());
    assert.equal(app.process.exitCode, null, "the app is still running");
  });
});

describe("gate store that hangs, then dies", () => {
  let silent: SilentServer;
  let app: RunningApp;
  before(async () => {
    silent = await startSilentServer();
    app = await startApp({
      script: "faults-gate.cjs",
      loader: "require",
      mode: "block",
      env: { RAMPART_TEST_GATE_POLICY: gatePolicy(silent.port, 4), RAMPART_PROMETHEUS: "true" },
    });
  });
  after(async () => {
    await app.stop();
    await silent.kill();
  });

  test("hung store answered by timeout", async () => {
    const started = Date.now();
    assert.deepEqual(await statuses(app, 2), [200, 200]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3_000, `two requests took ${elapsed} ms against a silent store`);
    assert.ok(silent.connections >= 1, "the agent connected to the silent server");
  });

  test("store killed mid-run", async () => {
    await silent.kill();
    const started = Date.now();
    assert.deepEqual(await statuses(app, 4), [200, 200, 429, 429]);
    assert.ok(Date.now() - started < 3_000, `four requests took ${Date.now() - started} ms`);

    const metrics = await fetchMetrics(app);
    assert.ok(metricValue(metrics, "rampart_agent_errors_total", { kind: "gate.redis" }) >= 1);
    assert.ok(
      agentLogLines(app).some((line) => line.msg.includes("counting in memory")),
      app.stderr(),
    );
  });
});
