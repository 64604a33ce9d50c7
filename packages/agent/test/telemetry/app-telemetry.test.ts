import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { startHttpReceiver, startTcpReceiver, startUdpReceiver, waitUntil } from "./receivers";

const workDir = mkdtempSync(path.join(tmpdir(), "rampart-app-telemetry-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

const payload = encodeURIComponent("x' OR '1'='1");

/** Port of the agent's own metrics endpoint, from its start log. */
async function metricsUrl(app: RunningApp): Promise<string> {
  let port: string | undefined;
  await waitUntil(() => {
    port = /serving Prometheus metrics.*"port":(\d+)/.exec(app.stderr())?.[1];
    return port !== undefined;
  });
  assert.ok(port !== undefined, `no metrics endpoint in the log:\n${app.stderr()}`);
  return `http://127.0.0.1:${port}/metrics`;
}

/** Reads one sample's value from exposition text; 0 when the sample is absent. */
function sampleValue(text: string, name: string, labels = ""): number {
  const escaped = `${name}${labels}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^${escaped} (\\S+)$`, "m").exec(text);
  return match === null ? 0 : Number(match[1]);
}

function droppedTotal(text: string, exporter: string): number {
  let total = 0;
  for (const match of text.matchAll(
    /^rampart_events_dropped_total\{exporter="([^"]+)",reason="[^"]+"\} (\S+)$/gm,
  )) {
    if (match[1] === exporter) total += Number(match[2]);
  }
  return total;
}

function promtoolCheck(text: string): string {
  const file = path.join(workDir, `metrics-${Date.now()}.txt`);
  writeFileSync(file, text);
  return execFileSync("/bin/sh", ["-c", `promtool check metrics < "${file}" 2>&1`], {
    encoding: "utf8",
  });
}

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text() };
}

test("flood keeps memory bounded", async () => {
  const webhook = await startHttpReceiver();
  // Memory is read after a full collection, so the bounds below measure what the flood left
  // behind rather than garbage that the faster runtimes had not collected yet.
  const app = await startApp({
    script: "telemetry-app.cjs",
    loader: "require",
    mode: "block",
    nodeArgs: ["--expose-gc"],
    env: {
      RAMPART_PROMETHEUS_PORT: "0",
      RAMPART_EVENTS_RATE: "2000",
      RAMPART_WEBHOOK_URL: webhook.url,
      RAMPART_DROP_WARNING_INTERVAL: "1",
    },
  });
  try {
    const metrics = await metricsUrl(app);
    // A one-second warm-up flood of the same shape runs under other parameter names, so the
    // baseline includes the JIT state and the heap size that the flood needs. RSS growth then
    // measures what the flood accumulates, not how far the runtime grows its heap under load.
    const warmUpStarted = Date.now();
    let warmUpRequests = 0;
    const warmUpClient = async (clientIndex: number) => {
      while (Date.now() - warmUpStarted < 1_000) {
        const param = `w${warmUpRequests++ * 8 + clientIndex}`;
        await get(`${app.url}/flood?param=${param}&${param}=${payload}&n=500`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, index) => warmUpClient(index)));
    const baseline = JSON.parse((await get(`${app.url}/memory`)).body) as NodeJS.MemoryUsage;

    // Each request carries 500 attacks; the parameter name varies so that deduplication tracks
    // many identities. Eight clients keep the app busy for four seconds.
    const durationMs = 4_000;
    const started = Date.now();
    const statuses = new Map<number, number>();
    let requests = 0;
    let okLatencyMax = 0;
    const client = async (clientIndex: number) => {
      while (Date.now() - started < durationMs) {
        const param = `k${(requests++ * 8 + clientIndex) % 3000}`;
        const { status } = await get(`${app.url}/flood?param=${param}&${param}=${payload}&n=500`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    const probe = async () => {
      while (Date.now() - started < durationMs) {
        const probeStart = Date.now();
        const response = await get(`${app.url}/ok`);
        assert.equal(response.status, 200, "benign requests are still served during the flood");
        okLatencyMax = Math.max(okLatencyMax, Date.now() - probeStart);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await Promise.all([...Array.from({ length: 8 }, (_, index) => client(index)), probe()]);
    const elapsedSeconds = (Date.now() - started) / 1000;

    const after = JSON.parse((await get(`${app.url}/memory`)).body) as NodeJS.MemoryUsage;
    const text = (await get(metrics)).body;
    const blocked = sampleValue(
      text,
      "rampart_detections_total",
      '{attack_type="sql_injection",action="blocked"}',
    );
    const attacksPerSecond = (requests * 500) / elapsedSeconds;
    const rssGrowthMb = (after.rss - baseline.rss) / 2 ** 20;
    const heapGrowthMb = (after.heapUsed - baseline.heapUsed) / 2 ** 20;
    console.log(
      `flood: ${requests} requests, ${Math.round(attacksPerSecond)} attacks/s for ${elapsedSeconds.toFixed(1)} s; ` +
        `RSS ${(baseline.rss / 2 ** 20).toFixed(1)} -> ${(after.rss / 2 ** 20).toFixed(1)} MB (growth ${rssGrowthMb.toFixed(1)} MB), ` +
        `heap growth ${heapGrowthMb.toFixed(1)} MB; slowest /ok ${okLatencyMax} ms; ` +
        `dropped jsonl ${droppedTotal(text, "jsonl")}, deduplicated ${sampleValue(text, "rampart_events_deduplicated_total")}`,
    );

    assert.deepEqual(
      [...statuses.keys()],
      [403],
      "every flood request answered with the block page",
    );
    assert.ok(
      blocked >= requests * 500,
      `${blocked} blocked detections counted for ${requests * 500} attacks`,
    );
    assert.ok(rssGrowthMb < 120, `RSS grew by ${rssGrowthMb.toFixed(1)} MB`);
    assert.ok(heapGrowthMb < 60, `heap grew by ${heapGrowthMb.toFixed(1)} MB`);
    // Each flood request repeats one finding 500 times: the guard builds one event for it and
    // counts the other 499 as deduplicated, so no detection goes unaccounted for.
    const written = app.events().length;
    const accounted =
      written +
      droppedTotal(text, "jsonl") +
      sampleValue(text, "rampart_events_deduplicated_total");
    assert.ok(accounted >= blocked, `${accounted} events accounted for ${blocked} detections`);
    assert.ok(
      written <= requests + warmUpRequests,
      `${written} events written for ${requests + warmUpRequests} requests`,
    );
    assert.ok(
      sampleValue(text, "rampart_events_deduplicated_total") > 0,
      "repeats are folded for the webhook",
    );
    assert.ok(
      app.events().length <= 2_000 * (elapsedSeconds + 4) + 2_000,
      "the events file stays within its budget",
    );
    assert.ok(
      await waitUntil(() => /security events dropped/.test(app.stderr()), 3_000),
      "a warning reports the drops",
    );
  } finally {
    await app.stop();
    await webhook.stop();
  }
});

test("receivers stopped mid-run", async () => {
  const webhook = await startHttpReceiver();
  const syslogUdp = await startUdpReceiver();
  const syslogTcp = await startTcpReceiver();
  const app = await startApp({
    script: "telemetry-app.cjs",
    loader: "require",
    mode: "block",
    env: {
      RAMPART_PROMETHEUS_PORT: "0",
      RAMPART_WEBHOOK_URL: webhook.url,
      RAMPART_WEBHOOK_RETRIES: "0",
      RAMPART_SYSLOG: syslogUdp.address,
    },
  });
  const tcpApp = await startApp({
    script: "telemetry-app.cjs",
    loader: "require",
    mode: "block",
    env: { RAMPART_SYSLOG: syslogTcp.address },
  });
  try {
    const metrics = await metricsUrl(app);
    // Distinct parameter names, so that deduplication passes every event on.
    const attack = (target: RunningApp, index: number) =>
      get(`${target.url}/flood?param=p${index}&p${index}=${payload}&n=1`);

    const before = await attack(app, 0);
    assert.equal(before.status, 403);
    await attack(tcpApp, 0);
    assert.ok(
      await waitUntil(() => webhook.bodies.length === 1 && syslogUdp.messages.length === 1),
    );
    assert.ok(await waitUntil(() => syslogTcp.messages.length === 1));

    await Promise.all([webhook.stop(), syslogUdp.stop(), syslogTcp.stop()]);
    // A message written before the TCP exporter detects the close is lost without a count (TCP has no
    // per-message acknowledgement), so the attacks start once the close has been delivered.
    await new Promise((resolve) => setTimeout(resolve, 300));

    for (let index = 1; index <= 30; index++) {
      const response = await attack(app, index);
      assert.equal(response.status, 403, "attacks still blocked with receivers down");
      assert.match(response.body, /"event_id":"[0-9a-f-]{36}"/);
      const tcpResponse = await attack(tcpApp, index);
      assert.equal(tcpResponse.status, 403);
      const ok = await get(`${app.url}/search?name=alice`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body, '[{"id":1,"name":"alice"}]', "benign responses unchanged");
    }

    let text = "";
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      text = (await get(metrics)).body;
      if (droppedTotal(text, "webhook") >= 30 && droppedTotal(text, "syslog") > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(
      droppedTotal(text, "webhook"),
      30,
      "every webhook event after the stop is counted",
    );
    assert.ok(droppedTotal(text, "syslog") > 0, "refused syslog datagrams are counted");
    assert.equal(app.events().length, 31, "the JSON Lines log still has every event");

    // The TCP exporter keeps its queue while the receiver is down and delivers it on reconnection.
    const restarted = await startTcpReceiver(syslogTcp.port);
    assert.ok(
      await waitUntil(() => restarted.messages.length === 30, 10_000),
      `queued syslog messages delivered after the restart: ${restarted.messages.length}`,
    );
    await restarted.stop();
  } finally {
    await Promise.all([app.stop(), tcpApp.stop()]);
  }
});

test("prometheus output passes promtool", async () => {
  const app = await startApp({
    script: "telemetry-app.cjs",
    loader: "require",
    mode: "block",
    env: { RAMPART_PROMETHEUS_PORT: "0", RAMPART_PROMETHEUS: "true" },
  });
  try {
    const metrics = await metricsUrl(app);
    assert.ok(metrics.startsWith("http://127.0.0.1:"), "bound to loopback by default");
    for (let index = 0; index < 3; index++) await get(`${app.url}/search?name=${payload}`);
    await get(`${app.url}/search?name=alice`);

    const own = (await get(metrics)).body;
    const appRegistry = (await get(`${app.url}/metrics`)).body;
    for (const [source, text] of [
      ["endpoint", own],
      ["app registry", appRegistry],
    ] as const) {
      assert.equal(promtoolCheck(text).trim(), "", `${source}: promtool reports no problem`);
      assert.equal(
        sampleValue(
          text,
          "rampart_detections_total",
          '{attack_type="sql_injection",action="blocked"}',
        ),
        3,
        source,
      );
      assert.match(
        text,
        /^rampart_inspections_total\{attack_type="sql_injection",sink="better-sqlite3\.prepare"\} [4-9]/m,
      );
      assert.match(
        text,
        /^rampart_inspection_duration_seconds_count\{attack_type="sql_injection"\} \d+/m,
      );
      assert.match(
        text,
        /^rampart_agent_info\{version="[^"]+",mode="block",policy_version="[0-9a-f]{12}"\} 1$/m,
      );
    }
    // 4 requests before the endpoint scrape; scrapes of the agent's own endpoint are not counted.
    assert.equal(sampleValue(own, "rampart_requests_total"), 4);
    assert.equal((await get(metrics.replace("/metrics", "/other"))).status, 404);
  } finally {
    await app.stop();
  }
});

for (const [script, loader] of [
  ["telemetry-app.cjs", "require"],
  ["telemetry-app.mjs", "import"],
] as const) {
  test(`traceparent correlation (${loader})`, async () => {
    const app = await startApp({ script, loader, mode: "block" });
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const parentId = "00f067aa0ba902b7";
      const valid = await get(`${app.url}/search?name=${payload}`, {
        traceparent: `00-${traceId}-${parentId}-01`,
        "x-request-id": "req-trace-1",
      });
      assert.equal(valid.status, 403);
      const invalidHeaders = [
        `ff-${traceId}-${parentId}-01`,
        `00-${"0".repeat(32)}-${parentId}-01`,
        `00-${traceId.toUpperCase()}-${parentId}-01`,
        `00-${traceId}-${parentId}-01-extra`,
        "garbage",
      ];
      for (const traceparent of invalidHeaders)
        await get(`${app.url}/search?name=${payload}`, { traceparent });

      const events = await app.waitForEvents(1 + invalidHeaders.length);
      assert.equal(events.length, 1 + invalidHeaders.length);
      const [first, ...rest] = events;
      assert.equal(first!.trace_id, traceId);
      assert.equal(first!.span_id, parentId);
      assert.equal(first!.request.request_id, "req-trace-1");
      for (const event of rest) {
        assert.equal(event.trace_id, undefined, "an invalid traceparent is ignored");
        assert.equal(event.span_id, undefined);
      }
      for (const event of events) assert.deepEqual(eventSchemaErrors(event), []);
    } finally {
      await app.stop();
    }
  });
}

test("events file rotation from env", async () => {
  const eventsFile = path.join(workDir, "rotated", "events.jsonl");
  execFileSync("mkdir", ["-p", path.dirname(eventsFile)]);
  const app = await startApp({
    script: "telemetry-app.cjs",
    loader: "require",
    mode: "block",
    env: {
      RAMPART_EVENTS: eventsFile,
      RAMPART_EVENTS_MAX_BYTES: "3000",
      RAMPART_EVENTS_MAX_FILES: "2",
    },
  });
  try {
    for (let index = 0; index < 12; index++) {
      await get(`${app.url}/flood?param=r${index}&r${index}=${payload}&n=1`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const files = readdirSync(path.dirname(eventsFile)).sort();
    assert.deepEqual(files, ["events.jsonl", "events.jsonl.1", "events.jsonl.2"]);
    const lines = files.flatMap((name) =>
      readFileSync(path.join(path.dirname(eventsFile), name), "utf8")
        .trim()
        .split("\n"),
    );
    for (const line of lines) assert.deepEqual(eventSchemaErrors(JSON.parse(line)), []);
  } finally {
    await app.stop();
  }
});

test("secrets masked in app events", async () => {
  const app = await startApp({
    script: "telemetry-app.cjs",
    loader: "require",
    mode: "block",
    env: { RAMPART_REDACT_KEYS: "tenant_code" },
  });
  try {
    const password = "Tr0ub4dor&3-horse";
    const tenantCode = "tenant-8841-xyz";
    const response = await fetch(`${app.url}/login?tenant_code=${tenantCode}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk_live_abcdefghijklmnop",
      },
      body: JSON.stringify({ user: "x' OR '1'='1' --", password }),
    });
    assert.equal(response.status, 403);
    const [event] = await app.waitForEvents(1);
    const line = JSON.stringify(event);
    for (const secret of [password, tenantCode, "sk_live_abcdefghijklmnop"])
      assert.ok(!line.includes(secret), `${secret} in ${line}`);
    assert.equal(event!.input.path, "body.user");
    assert.match(
      event!.operation,
      /name = 'x' OR '1'='1' --' AND password = '\[redacted 17 chars\]'/,
    );
  } finally {
    await app.stop();
  }
});
