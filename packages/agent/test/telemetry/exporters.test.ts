import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import promClient from "prom-client";

import { setLogLevel } from "../../src/log";
import { formatCef } from "../../src/telemetry/cef";
import { EventLog } from "../../src/telemetry/event-log";
import { countDroppedEvents, countInspection, metricsSnapshot } from "../../src/telemetry/metrics";
import { formatExposition, metricFamilies } from "../../src/telemetry/prometheus-text";
import { agentInfo, registerOnAppRegistry } from "../../src/telemetry/prometheus";
import type { SecurityEvent } from "../../src/telemetry/security-event";
import { SyslogExporter } from "../../src/telemetry/syslog";
import { parseSyslogTarget } from "../../src/telemetry/telemetry-config";
import { readConfig } from "../../src/config";
import { WebhookExporter, slackMessage } from "../../src/telemetry/webhook";
import { startHttpReceiver, startTcpReceiver, startUdpReceiver, waitUntil } from "./receivers";

const workDir = mkdtempSync(path.join(tmpdir(), "rampart-exporters-"));
before(() => setLogLevel("silent"));
after(() => rmSync(workDir, { recursive: true, force: true }));

function sampleEvent(id: string, overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    time: "2026-12-04T21:40:12.512Z",
    event_id: id,
    attack_type: "sql_injection",
    sink: "better-sqlite3.prepare",
    action: "blocked",
    reason: "spans-tokens",
    input: { source: "query", path: "query.name", value: "a' OR '1'='1", length: 12 },
    operation: "SELECT * FROM users WHERE name = 'a' OR '1'='1'\nLIMIT 1",
    request: {
      method: "GET",
      path: "/users",
      route: "/users",
      client_ip: "127.0.0.1",
      request_id: "req-1",
      user_agent: "curl/8.5.0",
    },
    stack: ["at handler (/srv/app.js:14:22)"],
    agent: { name: "rampart", version: "0.1.0", mode: "block" },
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    span_id: "00f067aa0ba902b7",
    ...overrides,
  };
}

function dropped(exporter: string, reason: string): number {
  return (
    metricsSnapshot().droppedEvents.find(
      (sample) => sample.labels.exporter === exporter && sample.labels.reason === reason,
    )?.value ?? 0
  );
}

/** Runs `promtool check metrics` on exposition text; returns its output, throwing when it rejects the text. */
function promtoolCheck(text: string): string {
  const file = path.join(workDir, `metrics-${Date.now()}.txt`);
  writeFileSync(file, text);
  return execFileSync("/bin/sh", ["-c", `promtool check metrics < "${file}" 2>&1`], {
    encoding: "utf8",
  });
}

test("webhook posts JSON events", async () => {
  const receiver = await startHttpReceiver();
  const webhook = new WebhookExporter({
    url: new URL(receiver.url),
    format: "json",
    timeoutMs: 1_000,
    retries: 0,
  });
  webhook.enqueue(sampleEvent("w1"));
  webhook.enqueue(sampleEvent("w2"));

  assert.ok(await waitUntil(() => receiver.bodies.length === 2));
  assert.deepEqual(
    receiver.bodies.map((body) => (JSON.parse(body) as SecurityEvent).event_id),
    ["w1", "w2"],
  );
  webhook.close();
  await receiver.stop();
});

test("webhook retries 5xx with backoff", async () => {
  const receiver = await startHttpReceiver([503, 500]);
  const delays: number[] = [];
  const webhook = new WebhookExporter({
    url: new URL(receiver.url),
    format: "json",
    timeoutMs: 1_000,
    retries: 3,
    backoffMs: (attempt) => {
      delays.push(attempt);
      return 10 * 2 ** attempt;
    },
  });
  webhook.enqueue(sampleEvent("retried"));

  try {
    assert.ok(await waitUntil(() => receiver.bodies.length === 1));
    // The receiver records the body before the exporter reads the response.
    assert.ok(await waitUntil(() => webhook.delivered === 1), "delivery counted");
    assert.deepEqual(delays, [1, 2], "two failures, two growing delays");
  } finally {
    webhook.close();
    await receiver.stop();
  }
});

test("webhook 4xx rejected without retry", async () => {
  const receiver = await startHttpReceiver([400]);
  const before = dropped("webhook", "rejected");
  const webhook = new WebhookExporter({
    url: new URL(receiver.url),
    format: "json",
    timeoutMs: 1_000,
    retries: 3,
  });
  webhook.enqueue(sampleEvent("bad"));

  assert.ok(await waitUntil(() => dropped("webhook", "rejected") === before + 1));
  assert.equal(receiver.statuses.length, 0);
  assert.equal(receiver.bodies.length, 0);
  webhook.close();
  await receiver.stop();
});

test("webhook timeout counted as failure", async () => {
  // A server that accepts the request and never responds.
  const http = await import("node:http");
  const server = http.createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const before = dropped("webhook", "delivery_failed");

  const webhook = new WebhookExporter({
    url: new URL(`http://127.0.0.1:${port}/slow`),
    format: "json",
    timeoutMs: 150,
    retries: 1,
    backoffMs: () => 10,
  });
  const started = Date.now();
  webhook.enqueue(sampleEvent("slow"));
  assert.ok(await waitUntil(() => dropped("webhook", "delivery_failed") === before + 1, 3_000));
  assert.ok(Date.now() - started >= 300, "two attempts of 150 ms each");
  webhook.close();
  server.closeAllConnections();
  server.close();
});

test("slack format readable and escaped", async () => {
  const receiver = await startHttpReceiver();
  const webhook = new WebhookExporter({
    url: new URL(receiver.url),
    format: "slack",
    timeoutMs: 1_000,
    retries: 0,
  });
  webhook.enqueue(
    sampleEvent("s1", {
      input: { source: "query", path: "query.q", value: "<script>", length: 8 },
    }),
  );

  assert.ok(await waitUntil(() => receiver.bodies.length === 1));
  const message = JSON.parse(receiver.bodies[0]!) as { text: string };
  assert.deepEqual(Object.keys(message), ["text"]);
  assert.match(message.text, /^\*Rampart blocked sql_injection\* at `better-sqlite3\.prepare`/);
  assert.match(message.text, /GET \/users from 127\.0\.0\.1/);
  assert.match(message.text, /&lt;script&gt;/);
  assert.ok(!message.text.includes("<script>"));
  assert.equal(
    slackMessage(sampleEvent("s2", { count: 7, first_time: "t0" })).text.includes("7 more like it"),
    true,
  );
  webhook.close();
  await receiver.stop();
});

test("webhook receiver stopped mid-run", async () => {
  const receiver = await startHttpReceiver();
  const webhook = new WebhookExporter({
    url: new URL(receiver.url),
    format: "json",
    timeoutMs: 500,
    retries: 1,
    backoffMs: () => 10,
  });
  webhook.enqueue(sampleEvent("before-stop"));
  assert.ok(await waitUntil(() => receiver.bodies.length === 1));
  await receiver.stop();

  const failedBefore = dropped("webhook", "delivery_failed");
  let refused = 0;
  for (let index = 0; index < 1_200; index++) {
    if (webhook.enqueue(sampleEvent(`after-${index}`)) === "queue_full") refused++;
  }
  assert.equal(refused, 200, "the queue holds 1,000 events at most");
  assert.ok(await waitUntil(() => dropped("webhook", "delivery_failed") > failedBefore));
  webhook.close();
  assert.ok(
    await waitUntil(() => dropped("webhook", "delivery_failed") - failedBefore === 1_000),
    `every queued event after the stop is counted as failed: ${dropped("webhook", "delivery_failed") - failedBefore}`,
  );
});

test("cef record fields and escaping", () => {
  const record = formatCef(sampleEvent("c1", { count: 3 }));
  const [header, extension] = [record.split("|").slice(0, 7), record.split("|").slice(7).join("|")];
  assert.deepEqual(header.slice(0, 3), ["CEF:0", "Rampart", "Rampart Agent"]);
  assert.equal(header[4], "sql_injection");
  assert.equal(header[6], "8");
  assert.match(extension, /\bact=blocked\b/);
  assert.match(extension, /\bsrc=127\.0\.0\.1\b/);
  assert.match(extension, /\bcnt=3\b/);
  assert.match(extension, /cs1Label=sink cs1=better-sqlite3\.prepare/);
  assert.match(extension, /msg=SELECT \* FROM users WHERE name \\= 'a' OR '1'\\='1'\\nLIMIT 1/);
  assert.ok(!extension.includes("\n"), "line breaks are escaped, so newline framing holds");
});

test("syslog targets parsed", () => {
  assert.deepEqual(parseSyslogTarget("udp://127.0.0.1:5514"), {
    transport: "udp",
    host: "127.0.0.1",
    port: 5514,
  });
  assert.deepEqual(parseSyslogTarget("tcp://[::1]:601"), {
    transport: "tcp",
    host: "::1",
    port: 601,
  });
  assert.deepEqual(parseSyslogTarget("udp://localhost"), {
    transport: "udp",
    host: "localhost",
    port: 514,
  });
  assert.deepEqual(parseSyslogTarget("/dev/log"), { transport: "unix", path: "/dev/log" });
  assert.equal(parseSyslogTarget("http://127.0.0.1:514"), undefined);
  assert.equal(parseSyslogTarget("514"), undefined);
});

test("syslog over UDP delivers CEF", async () => {
  const receiver = await startUdpReceiver();
  const syslog = new SyslogExporter(parseSyslogTarget(receiver.address)!);
  syslog.enqueue(sampleEvent("u1"));
  syslog.enqueue(sampleEvent("u2", { action: "monitored" }));

  assert.ok(await waitUntil(() => receiver.messages.length === 2));
  assert.match(
    receiver.messages[0]!,
    /^<84>1 2026-12-04T21:40:12\.512Z \S+ rampart \d+ security-event - CEF:0\|Rampart\|/,
  );
  assert.match(receiver.messages[1]!, /^<85>1 /, "a monitored event has notice severity");
  assert.match(receiver.messages[0]!, /externalId=u1/);
  syslog.close();
  await receiver.stop();
});

test("syslog UDP receiver stopped mid-run", async () => {
  const receiver = await startUdpReceiver();
  const syslog = new SyslogExporter(parseSyslogTarget(receiver.address)!);
  syslog.enqueue(sampleEvent("u-before"));
  assert.ok(await waitUntil(() => receiver.messages.length === 1));
  await receiver.stop();

  const before = dropped("syslog", "delivery_failed");
  for (let index = 0; index < 20; index++) {
    syslog.enqueue(sampleEvent(`u-after-${index}`));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // The kernel reports the closed port on the connected socket's next sends.
  assert.ok(
    await waitUntil(() => dropped("syslog", "delivery_failed") > before),
    "refused datagrams counted",
  );
  syslog.close();
});

test("syslog over TCP reconnects", async () => {
  const receiver = await startTcpReceiver();
  const syslog = new SyslogExporter(parseSyslogTarget(receiver.address)!);
  syslog.enqueue(sampleEvent("t1"));
  assert.ok(await waitUntil(() => receiver.messages.length === 1));
  assert.match(receiver.messages[0]!, /CEF:0\|Rampart\|Rampart Agent\|.*externalId=t1/);

  await receiver.stop();
  // Messages written before the exporter detects the close are lost (TCP has no per-message
  // acknowledgement), so the flood starts once the close has been delivered.
  await new Promise((resolve) => setTimeout(resolve, 200));
  let refused = 0;
  for (let index = 0; index < 10_050; index++) {
    if (syslog.enqueue(sampleEvent(`t-down-${index}`)) === "queue_full") refused++;
  }
  assert.equal(refused, 50, "the queue holds 10,000 messages at most");

  const restarted = await startTcpReceiver(receiver.port);
  assert.ok(
    await waitUntil(() => restarted.messages.length >= 10_000, 10_000),
    `queued messages delivered after reconnecting: ${restarted.messages.length}`,
  );
  syslog.close();
  await restarted.stop();
});

test("events file rotates by size", () => {
  const file = path.join(workDir, "rotating.jsonl");
  const eventLog = new EventLog({ file }, { maxBytes: 2_000, maxFiles: 2 });
  for (let round = 0; round < 6; round++) {
    for (let index = 0; index < 3; index++) eventLog.append(sampleEvent(`r${round}-${index}`));
    eventLog.flushSync();
  }
  eventLog.close();

  const files = readdirSync(workDir)
    .filter((name) => name.startsWith("rotating.jsonl"))
    .sort();
  assert.deepEqual(files, ["rotating.jsonl", "rotating.jsonl.1", "rotating.jsonl.2"]);
  for (const name of files) {
    const size = readFileSync(path.join(workDir, name)).length;
    assert.ok(size <= 2_000, `${name} has ${size} bytes`);
  }
  assert.ok(!existsSync(`${file}.3`));
  const newest = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as SecurityEvent).event_id);
  assert.equal(newest.at(-1), "r5-2");
});

test("exposition passes promtool", () => {
  countInspection("sql_injection", "pg.query", 0.004);
  countInspection("path_traversal", "fs.readFile", 0.0007);
  countDroppedEvents("webhook", "queue_full");
  const text = formatExposition(
    metricFamilies(metricsSnapshot(), { version: "0.1.0", mode: "block", policy_version: "abc" }),
  );

  assert.equal(promtoolCheck(text).trim(), "", "promtool reports no problem");
  for (const name of [
    "rampart_requests_total",
    "rampart_inspections_total",
    "rampart_detections_total",
    "rampart_inspection_duration_seconds",
    "rampart_agent_errors_total",
    "rampart_events_dropped_total",
    "rampart_events_deduplicated_total",
    "rampart_agent_info",
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
  }
  assert.match(
    text,
    /rampart_inspections_total\{attack_type="sql_injection",sink="pg\.query"\} \d+/,
  );
  assert.match(
    text,
    /rampart_inspection_duration_seconds_bucket\{attack_type="sql_injection",le="0\.000005"\} [1-9]/,
  );
  assert.match(
    text,
    /rampart_events_dropped_total\{exporter="webhook",reason="queue_full"\} [1-9]/,
  );
});

test("prom-client registry serves the metrics", async () => {
  const { config } = readConfig({ RAMPART_MODE: "block" });
  assert.equal(registerOnAppRegistry(agentInfo(config)), true);
  assert.equal(registerOnAppRegistry(agentInfo(config)), true, "a second registration is skipped");
  countInspection("ssrf", "http.request", 0.02);

  const text = await promClient.register.metrics();
  assert.equal(promtoolCheck(text).trim(), "", "promtool reports no problem");
  assert.match(text, /rampart_inspections_total\{attack_type="ssrf",sink="http\.request"\} \d+/);
  assert.match(
    text,
    /rampart_agent_info\{version="[^"]+",mode="block",policy_version="[0-9a-f]{12}"\} 1/,
  );
  assert.match(text, /rampart_inspection_duration_seconds_count\{attack_type="ssrf"\} \d+/);
});

test("policy version follows configuration", () => {
  const first = agentInfo(readConfig({ RAMPART_MODE: "block" }).config).policy_version;
  const same = agentInfo(readConfig({ RAMPART_MODE: "block" }).config).policy_version;
  const other = agentInfo(
    readConfig({ RAMPART_MODE: "block", RAMPART_WEBHOOK_URL: "http://127.0.0.1:9/x" }).config,
  ).policy_version;
  assert.equal(first, same);
  assert.notEqual(first, other);
});
