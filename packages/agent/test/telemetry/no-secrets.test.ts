import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

import { RequestContext } from "../../src/context/request-context";
import { setLogLevel } from "../../src/log";
import { EventLog, EventLogExporter } from "../../src/telemetry/event-log";
import { metricsSnapshot } from "../../src/telemetry/metrics";
import { OtelSpanExporter } from "../../src/telemetry/otel-exporter";
import { TelemetryPipeline } from "../../src/telemetry/pipeline";
import { formatExposition, metricFamilies } from "../../src/telemetry/prometheus-text";
import { setExtraRedactKeys } from "../../src/telemetry/redact";
import { createSecurityEvent, type SecurityEvent } from "../../src/telemetry/security-event";
import { SyslogExporter } from "../../src/telemetry/syslog";
import { WebhookExporter } from "../../src/telemetry/webhook";
import {
  startHttpReceiver,
  startTcpReceiver,
  startUdpReceiver,
  waitUntil,
  type HttpReceiver,
  type SyslogReceiver,
} from "./receivers";

/** Every secret the request carries; none may reach any exporter's output. */
const secrets = {
  password: "Tr0ub4dor&3-horse",
  bearer: "sk_live_51HxQvZ2eZvKYlo2C",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2aWN0aW0ifQ.c2lnbmF0dXJlLXZhbHVl",
  session: "9f8e7d6c5b4a3210ffee",
  apiKey: "ak-7f3e9c2b1d0a5566",
  email: "victim.user@example.org",
  card: "4111111111111111",
  aws: "AKIAIOSFODNN7EXAMPLE",
  tenantCode: "tc-55667788-zz",
};

const injected = "x' OR '1'='1";

const workDir = mkdtempSync(path.join(tmpdir(), "rampart-no-secrets-"));
const spanExporter = new InMemorySpanExporter();
let webhookJson: HttpReceiver;
let webhookSlack: HttpReceiver;
let syslogUdp: SyslogReceiver;
let syslogTcp: SyslogReceiver;

before(async () => {
  setLogLevel("silent");
  setExtraRedactKeys(["tenant_code"]);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] }),
  );
  webhookJson = await startHttpReceiver();
  webhookSlack = await startHttpReceiver();
  syslogUdp = await startUdpReceiver();
  syslogTcp = await startTcpReceiver();
});

after(async () => {
  await Promise.all(
    [webhookJson, webhookSlack, syslogUdp, syslogTcp].map((receiver) => receiver.stop()),
  );
  rmSync(workDir, { recursive: true, force: true });
});

/** Sends one request carrying every secret and builds the agent's events inside its handler. */
async function eventsFromRequest(): Promise<SecurityEvent[]> {
  let events: SecurityEvent[] = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      (req as http.IncomingMessage & { body?: unknown }).body = JSON.parse(text);
      const requestContext = new RequestContext(req, res);
      events = buildEvents(requestContext);
      res.end("done");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const body = JSON.stringify({
    user: injected,
    password: secrets.password,
    tenant_code: secrets.tenantCode,
    contact: secrets.email,
  });
  await fetch(`http://127.0.0.1:${port}/login?q=${encodeURIComponent(injected)}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${secrets.bearer}`,
      cookie: `sid=${secrets.session}; theme=dark`,
      "x-api-key": secrets.apiKey,
      "user-agent": `probe ${secrets.jwt}`,
    },
    body,
  }).then((response) => response.text());
  server.close();
  return events;
}

function buildEvents(requestContext: RequestContext): SecurityEvent[] {
  const sqlOperation =
    `SELECT id FROM users WHERE name = '${injected}' AND password = '${secrets.password}' ` +
    `AND tenant = '${secrets.tenantCode}' AND contact = '${secrets.email}' AND card = '${secrets.card}'`;
  const sql = createSecurityEvent(
    {
      attackType: "sql_injection",
      sink: "pg.query",
      operation: sqlOperation,
      finding: {
        input: { source: "body", path: "body.user", value: injected },
        offset: 0,
        reason: "spans-tokens",
      },
    },
    requestContext,
    "block",
    "blocked",
  );

  const headerInput = createSecurityEvent(
    {
      attackType: "ssrf",
      sink: "http.request",
      operation: `http://169.254.169.254/?key=${secrets.apiKey}&aws=${secrets.aws}&auth=Bearer ${secrets.bearer}`,
      finding: {
        input: { source: "headers", path: "headers.x-api-key", value: secrets.apiKey },
        offset: 0,
        reason: "metadata",
      },
    },
    requestContext,
    "block",
    "blocked",
  );

  // An event as an app might publish it, with the raw headers and a secret in the reason.
  const withHeaders = {
    ...sql,
    event_id: "00000000-0000-4000-8000-000000000001",
    reason: `session=${secrets.session} token ${secrets.jwt}`,
    request: { ...sql.request!, headers: { ...requestContext.req.headers } },
  } as SecurityEvent;
  return [sql, headerInput, withHeaders];
}

test("no secret reaches any exporter", async () => {
  const events = await eventsFromRequest();
  assert.equal(events.length, 3);

  const eventsFile = path.join(workDir, "events.jsonl");
  const webhookOptions = { timeoutMs: 2_000, retries: 0 };
  const pipeline = new TelemetryPipeline(
    [
      { exporter: new EventLogExporter(new EventLog({ file: eventsFile }), false), perSecond: 100 },
      { exporter: new OtelSpanExporter(), perSecond: 100 },
      {
        exporter: new WebhookExporter({
          url: new URL(webhookJson.url),
          format: "json",
          ...webhookOptions,
        }),
        perSecond: 100,
      },
      {
        exporter: new WebhookExporter({
          url: new URL(webhookSlack.url),
          format: "slack",
          ...webhookOptions,
        }),
        perSecond: 100,
      },
      {
        exporter: new SyslogExporter({ transport: "udp", host: "127.0.0.1", port: syslogUdp.port }),
        perSecond: 100,
      },
      {
        exporter: new SyslogExporter({ transport: "tcp", host: "127.0.0.1", port: syslogTcp.port }),
        perSecond: 100,
      },
    ],
    0,
    0,
  );

  const span = trace.getTracer("no-secrets").startSpan("POST /login");
  context.with(trace.setSpan(context.active(), span), () => {
    for (const event of events) pipeline.publish(event);
  });
  span.end();

  const receivers = [
    webhookJson.bodies,
    webhookSlack.bodies,
    syslogUdp.messages,
    syslogTcp.messages,
  ];
  assert.ok(
    await waitUntil(() => receivers.every((received) => received.length === events.length)),
    `every receiver got ${events.length} events: ${receivers.map((received) => received.length).join(", ")}`,
  );
  pipeline.close();

  const outputs: Record<string, string> = {
    jsonl: readFileSync(eventsFile, "utf8"),
    otel: JSON.stringify(spanExporter.getFinishedSpans().flatMap((finished) => finished.events)),
    webhookJson: webhookJson.bodies.join("\n"),
    webhookSlack: webhookSlack.bodies.join("\n"),
    syslogUdp: syslogUdp.messages.join("\n"),
    syslogTcp: syslogTcp.messages.join("\n"),
    prometheus: formatExposition(
      metricFamilies(metricsSnapshot(), { version: "0", mode: "block", policy_version: "0" }),
    ),
  };

  for (const [exporter, output] of Object.entries(outputs)) {
    for (const [name, secret] of Object.entries(secrets))
      assert.ok(!output.includes(secret), `${exporter} output contains the ${name} secret`);
  }
  for (const exporter of ["jsonl", "otel", "webhookJson"]) {
    assert.ok(outputs[exporter]!.includes("OR '1'='1"), `${exporter} keeps the injected structure`);
  }
  // CEF escapes "=" in extension values.
  for (const exporter of ["syslogUdp", "syslogTcp"]) {
    assert.ok(
      outputs[exporter]!.includes("OR '1'\\='1"),
      `${exporter} keeps the injected structure`,
    );
  }
  assert.ok(outputs.webhookSlack!.includes("sql_injection"), "the Slack message names the attack");
});
