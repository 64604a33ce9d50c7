import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";

const attack = encodeURIComponent("x' OR '1'='1");

/** Returns the agent's JSON log lines from an app's stderr. */
function logLines(app: RunningApp): Array<Record<string, unknown>> {
  return app
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function expectBlocked(app: RunningApp, path: string): Promise<void> {
  const response = await fetch(`${app.url}${path}`);
  assert.equal(response.status, 403, `${path} should be blocked; stderr:\n${app.stderr()}`);
  const events = await app.waitForEvents(1);
  assert.equal(events[0]?.attack_type, "sql_injection");
  assert.equal(events[0]?.input.path, "query.name");
  assert.deepEqual(eventSchemaErrors(events[0]), [], "the event matches docs/event.schema.json");
}

describe("loading the agent", () => {
  const apps: RunningApp[] = [];
  after(() => Promise.all(apps.map((app) => app.stop())));

  test("CommonJS app with --require", async () => {
    const app = await startApp({ script: "core-http.cjs", loader: "require" });
    apps.push(app);
    await expectBlocked(app, `/direct?name=${attack}`);
  });

  test("ESM app with --import", async () => {
    const app = await startApp({ script: "core-http.mjs", loader: "import" });
    apps.push(app);
    await expectBlocked(app, `/?name=${attack}`);
  });

  test("protect() as first require", async () => {
    const app = await startApp({ script: "protect-first.cjs", loader: "none" });
    apps.push(app);
    await expectBlocked(app, `/?name=${attack}`);
  });

  test("driver loaded first is named and patched", async () => {
    const app = await startApp({ script: "preloaded.cjs", loader: "none" });
    apps.push(app);
    const warning = logLines(app).find(
      (line) => line.level === "warn" && line.module === "better-sqlite3",
    );
    assert.ok(warning, app.stderr());
    assert.match(String(warning.msg), /loaded before the agent/);
  });

  test("protect() in an ES module app", async () => {
    const app = await startApp({ script: "protect-esm.mjs", loader: "none" });
    apps.push(app);
    await expectBlocked(app, `/?name=${attack}`);
  });

  test("invalid RAMPART_MODE falls back to monitor", async () => {
    const app = await startApp({
      script: "core-http.cjs",
      loader: "require",
      mode: "enforce" as "block",
    });
    apps.push(app);

    const response = await fetch(`${app.url}/direct?name=${attack}`);
    assert.equal(response.status, 200, "monitor mode lets the query run");
    const events = await app.waitForEvents(1);
    assert.equal(events[0]?.action, "monitored");
    const problem = logLines(app).find((line) => line.code === "RAMPART_ERR_INVALID_CONFIG");
    assert.equal(problem?.variable, "RAMPART_MODE");
    assert.equal(problem?.value, "enforce");
    assert.equal(problem?.fallback, "monitor");
  });

  test("mode off inspects nothing", async () => {
    const app = await startApp({ script: "core-http.cjs", loader: "require", mode: "off" });
    apps.push(app);

    const response = await fetch(`${app.url}/direct?name=${attack}`);
    assert.equal(response.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(app.events(), []);
  });
});
