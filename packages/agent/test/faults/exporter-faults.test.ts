import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { startHttpReceiver, type HttpReceiver } from "../telemetry/receivers";
import { agentLogLines, fetchMetrics, metricValue, pollUntil } from "./fault-helpers";

const attack = "alice' OR '1'='1";

/** Starts a loopback TCP server that accepts connections and never responds, as a hung webhook does. */
async function startSilentServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => sockets.delete(socket));
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

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

/** Sends attacks and benign searches; asserts the responses the app gives with a healthy agent. */
async function sendTraffic(app: RunningApp, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const blocked = await fetch(`${app.url}/search?name=${encodeURIComponent(attack)}&r=${round}`);
    assert.equal(blocked.status, 403, await blocked.text());
    const benign = await fetch(`${app.url}/search?name=alice`);
    assert.equal(benign.status, 200);
    assert.equal(await benign.text(), '[{"id":1,"name":"alice"}]');
  }
}

describe("webhook that never answers", () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let app: RunningApp;
  before(async () => {
    silent = await startSilentServer();
    app = await startApp({
      script: "telemetry-app.cjs",
      loader: "require",
      mode: "block",
      env: {
        RAMPART_WEBHOOK_URL: silent.url,
        RAMPART_WEBHOOK_TIMEOUT_MS: "200",
        RAMPART_WEBHOOK_RETRIES: "0",
        RAMPART_DROP_WARNING_INTERVAL: "1",
        RAMPART_PROMETHEUS: "true",
      },
    });
  });
  after(async () => {
    await app.stop();
    await silent.stop();
  });

  test("responses unchanged while webhook hangs", async () => {
    const started = Date.now();
    await sendTraffic(app, 10);
    // Twenty requests against a hung receiver; the margin is for a shared machine.
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);

    const events = await app.waitForEvents(10);
    assert.equal(events.length, 10, "the JSON Lines log still receives every event");
  });

  test("lost deliveries counted and logged", async () => {
    const metrics = await pollUntil(
      () => fetchMetrics(app),
      (text) => metricValue(text, "rampart_events_dropped_total", { exporter: "webhook" }) > 0,
    );
    assert.ok(
      metricValue(metrics, "rampart_events_dropped_total", {
        exporter: "webhook",
        reason: "delivery_failed",
      }) > 0,
      metrics,
    );
    const warning = await pollUntil(
      () => agentLogLines(app).find((line) => line.msg.startsWith("security events dropped")),
      (line) => line !== undefined,
    );
    assert.ok(warning !== undefined, app.stderr());
    assert.equal(app.process.exitCode, null);
  });
});

describe("exporter that throws", () => {
  let receiver: HttpReceiver;
  let app: RunningApp;
  before(async () => {
    receiver = await startHttpReceiver();
    app = await startApp({
      script: "faults-exporter.cjs",
      loader: "require",
      mode: "block",
      // Without deduplication every event reaches the webhook lane.
      env: {
        RAMPART_WEBHOOK_URL: receiver.url,
        RAMPART_DEDUP_WINDOW: "0",
        RAMPART_PROMETHEUS: "true",
      },
    });
  });
  after(async () => {
    await app.stop();
    await receiver.stop();
  });

  test("responses unchanged, fault counted", async () => {
    await sendTraffic(app, 5);
    assert.equal((await app.waitForEvents(5)).length, 5);

    const metrics = await fetchMetrics(app);
    assert.equal(
      metricValue(metrics, "rampart_agent_errors_total", { kind: "telemetry.webhook" }),
      5,
    );
    assert.equal(
      metricValue(metrics, "rampart_events_dropped_total", {
        exporter: "webhook",
        reason: "queue_full",
      }),
      5,
    );
    const errors = agentLogLines(app).filter((line) => line.kind === "telemetry.webhook");
    assert.equal(errors.length, 1, app.stderr());
    assert.equal(receiver.bodies.length, 0);
  });
});

describe("OTLP endpoint down", () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp({
      script: "faults-otlp.cjs",
      loader: "require",
      mode: "block",
      env: {
        OTLP_URL: `http://127.0.0.1:${await unusedPort()}`,
        RAMPART_OTEL: "true",
        RAMPART_PROMETHEUS: "true",
      },
    });
  });
  after(() => app.stop());

  test("responses unchanged, SDK reports the failure", async () => {
    const started = Date.now();
    await sendTraffic(app, 10);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    assert.equal((await app.waitForEvents(10)).length, 10);

    // The app's SDK owns the OTLP connection and reports its failures through its diagnostic logger.
    const output = await pollUntil(
      () => app.stderr(),
      (text) => /export/i.test(text.replace(/"name":"rampart"[^\n]*/g, "")),
    );
    assert.match(output.replace(/"name":"rampart"[^\n]*/g, ""), /export/i);

    const metrics = await fetchMetrics(app);
    assert.equal(metricValue(metrics, "rampart_agent_errors_total"), 0, metrics);
    assert.equal(metricValue(metrics, "rampart_detections_total", { action: "blocked" }), 10);
    assert.equal(
      agentLogLines(app).filter((line) => line.level === "error").length,
      0,
      app.stderr(),
    );
  });
});
