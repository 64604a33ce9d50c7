import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { agentLogLines, fetchMetrics, metricValue, pollUntil } from "./fault-helpers";

const attack = encodeURIComponent("alice' OR '1'='1");

async function expectResponses(app: RunningApp, attackStatus: number): Promise<void> {
  const items = await fetch(`${app.url}/api/items`);
  assert.equal(items.status, 200);
  assert.equal(await items.text(), '{"items":[1,2,3]}');

  const benign = await fetch(`${app.url}/search?name=alice`);
  assert.equal(benign.status, 200);
  assert.equal(await benign.text(), '[{"id":1,"name":"alice"}]');

  const injected = await fetch(`${app.url}/search?name=${attack}`);
  assert.equal(injected.status, attackStatus, await injected.text());
}

function logCount(app: RunningApp, prefix: string): number {
  return agentLogLines(app).filter((line) => line.msg.startsWith(prefix)).length;
}

describe("policy file corrupted, then deleted", () => {
  let workDir: string;
  let policyFile: string;
  let app: RunningApp;
  before(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "rampart-faults-policy-"));
    policyFile = path.join(workDir, "rampart.policy.yaml");
    writeFileSync(policyFile, "version: good-1\nmode: block\n");
    app = await startApp({
      script: "faults-gate.cjs",
      loader: "require",
      // The policy file sets the mode; the variable would override it.
      mode: "" as "block",
      env: { RAMPART_POLICY: policyFile, RAMPART_PROMETHEUS: "true" },
    });
  });
  after(async () => {
    await app.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test("corrupt file keeps the last valid policy", async () => {
    await expectResponses(app, 403);

    writeFileSync(policyFile, "version: bad\nmode: [block\n");
    const rejected = await pollUntil(
      () => logCount(app, "policy rejected; keeping policy version good-1"),
      (count) => count >= 1,
    );
    assert.ok(rejected >= 1, app.stderr());
    await expectResponses(app, 403);

    const metrics = await fetchMetrics(app);
    assert.ok(metricValue(metrics, "rampart_policy_rejections_total") >= 1, metrics);
    assert.equal(
      metricValue(metrics, "rampart_agent_info", { policy_version: "good-1", mode: "block" }),
      1,
    );
  });

  test("deleted file keeps the last valid policy", async () => {
    unlinkSync(policyFile);
    // The corrupt file may still cause a late reload, so wait for the message about the deletion.
    const unreadable = await pollUntil(
      () =>
        agentLogLines(app).filter((line) => line.msg.includes("failed to read the policy file")),
      (lines) => lines.length >= 1,
    );
    assert.ok(unreadable.length >= 1, app.stderr());
    assert.ok(logCount(app, "policy rejected; keeping policy version good-1") >= 2);
    await expectResponses(app, 403);
  });

  test("restored file applies again", async () => {
    writeFileSync(policyFile, "version: good-2\nmode: monitor\n");
    await pollUntil(
      () => logCount(app, "policy reloaded"),
      (count) => count >= 1,
    );
    await expectResponses(app, 200);

    const metrics = await fetchMetrics(app);
    assert.equal(metricValue(metrics, "rampart_agent_info", { policy_version: "good-2" }), 1);
    assert.equal(app.process.exitCode, null);
  });
});

describe("event file on a full disk", () => {
  let app: RunningApp;
  before(async () => {
    // /dev/full accepts the open and fails every write with ENOSPC, as a full file system does.
    app = await startApp({
      script: "faults-gate.cjs",
      loader: "require",
      mode: "block",
      env: { RAMPART_EVENTS: "/dev/full", RAMPART_PROMETHEUS: "true" },
    });
  });
  after(() => app.stop());

  test("responses unchanged, write failure counted", async () => {
    for (let round = 0; round < 5; round++) await expectResponses(app, 403);

    const metrics = await pollUntil(
      () => fetchMetrics(app),
      (text) => metricValue(text, "rampart_agent_errors_total", { kind: "events.write" }) >= 1,
    );
    assert.ok(metricValue(metrics, "rampart_agent_errors_total", { kind: "events.write" }) >= 1);
    assert.equal(metricValue(metrics, "rampart_detections_total", { action: "blocked" }), 5);

    const errors = agentLogLines(app).filter((line) => line.kind === "events.write");
    assert.equal(errors.length, 1, app.stderr());
    assert.match(JSON.stringify(errors[0]), /ENOSPC/);
    assert.equal(app.process.exitCode, null);
  });
});
