import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { agentLogLines, fetchMetrics, metricValue } from "./fault-helpers";

const sink = "better-sqlite3.prepare";
const attack = "alice' OR '1'='1";

let workDir: string;
before(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "rampart-faults-"));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

function writePolicy(name: string, text: string): string {
  const file = path.join(workDir, name);
  writeFileSync(file, text);
  return file;
}

async function search(app: RunningApp, name: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${app.url}/search?name=${encodeURIComponent(name)}`);
  return { status: response.status, body: await response.text() };
}

function eventIdOf(body: string): string {
  const id = (JSON.parse(body) as { event_id?: string }).event_id;
  assert.ok(id !== undefined, body);
  return id;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("detector faults, fail open", () => {
  let app: RunningApp;
  before(async () => {
    const policy = writePolicy(
      "open.yaml",
      "mode: block\ninspection:\n  budgetMs: 20\n  breaker: { failures: 4, coolDownSeconds: 2 }\n",
    );
    app = await startApp({
      script: "faults-detector.cjs",
      loader: "require",
      mode: "block",
      env: { RAMPART_POLICY: policy, RAMPART_PROMETHEUS: "true", SLOW_DETECTOR_MS: "60" },
    });
  });
  after(() => app.stop());

  test("throwing detector leaves responses unchanged", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await search(app, "DETECTOR_THROWS");
      assert.equal(response.status, 200, response.body);
      assert.equal(response.body, "[]");
    }
    const benign = await search(app, "alice");
    assert.equal(benign.status, 200);
    assert.equal(benign.body, '[{"id":1,"name":"alice"}]');

    const metrics = await fetchMetrics(app);
    const failures = { attack_type: "sql_injection", reason: "error", outcome: "allowed" };
    assert.equal(metricValue(metrics, "rampart_inspection_failures_total", failures), 3);
    assert.equal(
      metricValue(metrics, "rampart_agent_errors_total", { kind: `detector.${sink}` }),
      3,
    );

    const errors = agentLogLines(app).filter((line) => line.kind === `detector.${sink}`);
    assert.equal(errors.length, 1, app.stderr());
    assert.equal(errors[0]?.level, "error");
  });

  test("slow detector under fail open is reported but never switched off", async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await search(app, "DETECTOR_SLOW");
      assert.equal(response.status, 200, response.body);
    }
    const metrics = await fetchMetrics(app);
    assert.equal(
      metricValue(metrics, "rampart_inspection_failures_total", {
        attack_type: "sql_injection",
        reason: "over_budget",
        outcome: "allowed",
      }),
      5,
    );
    // A client that pads its requests to slow the detector down must not switch it off for all.
    assert.equal(metricValue(metrics, "rampart_detector_off", { attack_type: "sql_injection" }), 0);
    assert.equal((await search(app, attack)).status, 403);

    const overruns = agentLogLines(app).filter((line) => line.kind === `budget.${sink}`);
    assert.equal(overruns.length, 1, app.stderr());
    assert.equal(overruns[0]?.budget_ms, 20);
    assert.ok((overruns[0]?.elapsed_ms as number) > 20);
    // No log line carries the request's payload.
    assert.doesNotMatch(app.stderr(), /DETECTOR_SLOW|OR '1'/);
  });

  test("throwing detector trips the breaker, then recovers", async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await search(app, "DETECTOR_THROWS");
      assert.equal(response.status, 200, response.body);
    }
    let metrics = await fetchMetrics(app);
    assert.equal(
      metricValue(metrics, "rampart_detector_breaker_trips_total", {
        attack_type: "sql_injection",
      }),
      1,
    );
    assert.equal(metricValue(metrics, "rampart_detector_off", { attack_type: "sql_injection" }), 1);

    // Fail open with the detector off: the injection runs, which is the documented trade-off.
    const unprotected = await search(app, attack);
    assert.equal(unprotected.status, 200, unprotected.body);
    assert.equal(unprotected.body, '[{"id":1,"name":"alice"}]');
    const lines = agentLogLines(app);
    assert.equal(lines.filter((line) => line.msg.startsWith("detector switched off")).length, 1);

    await sleep(2_200);
    const protectedAgain = await search(app, attack);
    assert.equal(protectedAgain.status, 403, protectedAgain.body);
    metrics = await fetchMetrics(app);
    assert.equal(metricValue(metrics, "rampart_detector_off", { attack_type: "sql_injection" }), 0);
    assert.ok(agentLogLines(app).some((line) => line.msg.startsWith("detector back on")));
  });
});

describe("detector faults, fail closed", () => {
  let app: RunningApp;
  before(async () => {
    const policy = writePolicy(
      "closed.yaml",
      [
        "mode: block",
        "inspection:",
        "  budgetMs: 20",
        "  detectors:",
        "    sql_injection: { failMode: closed }",
        "  breaker: { failures: 3, coolDownSeconds: 2 }",
      ].join("\n"),
    );
    app = await startApp({
      script: "faults-detector.cjs",
      loader: "require",
      mode: "block",
      env: { RAMPART_POLICY: policy, RAMPART_PROMETHEUS: "true", SLOW_DETECTOR_MS: "60" },
    });
  });
  after(() => app.stop());

  test("throwing detector blocks with an event", async () => {
    const response = await search(app, "DETECTOR_THROWS");
    assert.equal(response.status, 403, response.body);
    const event = await app.waitForEvent(eventIdOf(response.body));
    assert.ok(event !== undefined);
    assert.equal(event.attack_type, "sql_injection");
    assert.equal(event.action, "blocked");
    assert.equal(event.reason, "detector-error");
    assert.equal(event.input, null);
    assert.deepEqual(eventSchemaErrors(event), []);

    const ok = await fetch(`${app.url}/ok`);
    assert.equal(ok.status, 200);
    assert.equal((await search(app, "alice")).status, 200);
  });

  test("overrun without finding blocks", async () => {
    const response = await search(app, "DETECTOR_SLOW");
    assert.equal(response.status, 403, response.body);
    const event = await app.waitForEvent(eventIdOf(response.body));
    assert.equal(event?.reason, "inspection-over-budget");
    assert.equal((await search(app, "alice")).status, 200);
  });

  test("switched-off detector blocks until cool-down ends", async () => {
    for (let attempt = 0; attempt < 3; attempt++)
      assert.equal((await search(app, "DETECTOR_THROWS")).status, 403);

    const benign = await search(app, "alice");
    assert.equal(benign.status, 403, benign.body);
    const event = await app.waitForEvent(eventIdOf(benign.body));
    assert.equal(event?.reason, "detector-off");
    // Operations without user input in them never reach the detector, so they still run.
    assert.equal((await fetch(`${app.url}/ok`)).status, 200);

    await sleep(2_200);
    const after = await search(app, "alice");
    assert.equal(after.status, 200, after.body);

    const metrics = await fetchMetrics(app);
    const blocked = (reason: string) =>
      metricValue(metrics, "rampart_inspection_failures_total", {
        attack_type: "sql_injection",
        reason,
        outcome: "blocked",
      });
    assert.equal(blocked("error"), 4);
    assert.equal(blocked("over_budget"), 1);
    assert.equal(blocked("detector_off"), 1);
    // Fail-closed blocks are not attacks, so they stay out of the detection counter.
    assert.equal(
      metricValue(metrics, "rampart_detections_total", { attack_type: "sql_injection" }),
      0,
    );
  });
});
