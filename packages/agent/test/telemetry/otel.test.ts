import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";

interface FinishedSpan {
  name: string;
  traceId: string;
  spanId: string;
  events: { name: string; attributes: Record<string, unknown> }[];
}

interface CollectedMetric {
  name: string;
  points: { attributes: Record<string, unknown>; value: unknown }[];
}

let app: RunningApp;

before(async () => {
  app = await startApp({
    script: "telemetry-otel-app.cjs",
    loader: "require",
    mode: "block",
    env: { RAMPART_OTEL: "true" },
  });
});
after(() => app.stop());

async function getJson<T>(path: string): Promise<T> {
  return (await (await fetch(`${app.url}${path}`)).json()) as T;
}

test("event added to active span", async () => {
  const response = await fetch(`${app.url}/search?name=${encodeURIComponent("x' OR '1'='1")}`, {
    headers: { "user-agent": "otel-test/1.0" },
  });
  assert.equal(response.status, 403);
  const { event_id: eventId } = (await response.json()) as { event_id: string };

  const event = await app.waitForEvent(eventId);
  assert.ok(event !== undefined, "event written");
  assert.deepEqual(eventSchemaErrors(event), []);

  let spans: FinishedSpan[] = [];
  for (let attempt = 0; attempt < 50 && spans.length === 0; attempt++) {
    spans = (await getJson<FinishedSpan[]>("/spans")).filter((span) => span.events.length > 0);
    if (spans.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(spans.length, 1);
  const [span] = spans;
  assert.equal(event.trace_id, span!.traceId, "the event carries the span's trace id");
  assert.equal(event.span_id, span!.spanId);

  const [spanEvent] = span!.events;
  assert.equal(spanEvent!.name, "rampart.security_event");
  const attributes = spanEvent!.attributes;
  assert.equal(attributes["rampart.event_id"], eventId);
  assert.equal(attributes["rampart.attack_type"], "sql_injection");
  assert.equal(attributes["rampart.sink"], "better-sqlite3.prepare");
  assert.equal(attributes["rampart.action"], "blocked");
  assert.equal(attributes["rampart.input.path"], "query.name");
  assert.equal(attributes["http.request.method"], "GET");
  assert.equal(attributes["url.path"], "/search");
  assert.equal(attributes["client.address"], "127.0.0.1");
  assert.equal(attributes["user_agent.original"], "otel-test/1.0");
  assert.match(String(attributes["code.file.path"]), /telemetry-otel-app\.cjs$/);
  assert.equal(typeof attributes["code.line.number"], "number");
});

test("metrics through the meter provider", async () => {
  await fetch(`${app.url}/search?name=alice`);
  await fetch(`${app.url}/search?name=${encodeURIComponent("y' OR 1=1 --")}`);
  // The agent looks for the meter provider and records durations once a second.
  await new Promise((resolve) => setTimeout(resolve, 1_300));

  const metrics = await getJson<CollectedMetric[]>("/otel-metrics");
  const byName = new Map(metrics.map((metric) => [metric.name, metric]));
  for (const name of [
    "rampart.requests",
    "rampart.inspections",
    "rampart.detections",
    "rampart.events.deduplicated",
    "rampart.agent.info",
    "rampart.inspection.duration",
  ]) {
    assert.ok(byName.has(name), `${name} reported; got ${[...byName.keys()].join(", ")}`);
  }

  const detections = byName
    .get("rampart.detections")!
    .points.find(
      (point) =>
        point.attributes["rampart.attack_type"] === "sql_injection" &&
        point.attributes["rampart.action"] === "blocked",
    );
  assert.ok(detections !== undefined);
  assert.ok(Number(detections.value) >= 2, `blocked detections: ${String(detections.value)}`);

  const duration = byName
    .get("rampart.inspection.duration")!
    .points.find((point) => point.attributes["rampart.attack_type"] === "sql_injection");
  assert.ok(duration !== undefined, "inspection durations recorded");
  assert.ok((duration.value as { count: number }).count >= 1);
  assert.ok(Number(byName.get("rampart.requests")!.points[0]!.value) >= 3);
});

test("sdk shut down mid-run", async () => {
  const eventsBefore = app.events().length;
  assert.equal((await fetch(`${app.url}/shutdown`)).status, 200);

  for (let index = 0; index < 5; index++) {
    const attack = await fetch(`${app.url}/search?name=${encodeURIComponent("z' OR '1'='1")}`);
    assert.equal(attack.status, 403, "attacks still blocked");
    await attack.text();
    const benign = await fetch(`${app.url}/search?name=alice`);
    assert.equal(benign.status, 200);
    assert.equal(await benign.text(), "[]", "benign responses unchanged");
  }
  const events = await app.waitForEvents(eventsBefore + 5);
  assert.equal(events.length, eventsBefore + 5, "the JSON Lines log still has every event");
  assert.doesNotMatch(app.stderr(), /internal error/, "the agent recorded no error of its own");
});
