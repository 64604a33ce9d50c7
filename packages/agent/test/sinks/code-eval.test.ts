// The global eval hook is opt-in (RAMPART_HOOK_EVAL=true). These tests show why: with the hook,
// a direct eval becomes indirect and loses the caller's local variables.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { readConfig } from "../../src/config";
import { startApp, type RunningApp, type SecurityEvent } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { HttpClient, withQuery, type HttpResponse } from "../helpers/http-client";

interface Running {
  app: RunningApp;
  client: HttpClient;
  markerDir: string;
}

function useApp(env: Record<string, string>): Running {
  const running = {} as Running;
  before(async () => {
    running.markerDir = mkdtempSync(path.join(tmpdir(), "rampart-eval-marker-"));
    running.app = await startApp({
      script: "code-app.cjs",
      loader: "require",
      mode: "block",
      env: { MARKER_DIR: running.markerDir, ...env },
    });
    running.client = new HttpClient(running.app.url);
  });
  after(async () => {
    running.client.close();
    await running.app.stop();
    rmSync(running.markerDir, { recursive: true, force: true });
  });
  return running;
}

function get(running: Running, route: string, value: string): Promise<HttpResponse> {
  return running.client.get(withQuery(route, [["q", value]]));
}

describe("eval hook configuration", () => {
  test("off by default", () => {
    assert.equal(readConfig({}).config.hookEval, false);
  });

  test("enabled by true", () => {
    assert.equal(readConfig({ RAMPART_HOOK_EVAL: "true" }).config.hookEval, true);
  });

  test("invalid value reported", () => {
    const { config, problems } = readConfig({ RAMPART_HOOK_EVAL: "yes" });
    assert.equal(config.hookEval, false);
    assert.equal(problems[0]?.variable, "RAMPART_HOOK_EVAL");
  });
});

describe("eval without hook", () => {
  const running = useApp({});

  test("direct eval sees locals", async () => {
    const response = await get(running, "/run/eval-local", "2");
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(JSON.parse(response.body), { result: 42 });
  });

  test("eval not judged", async () => {
    const response = await get(running, "/run/calculator", "1, touchMarker('unhooked')");
    assert.equal(response.status, 200, response.body);
    assert.equal(existsSync(path.join(running.markerDir, "unhooked")), true);
    assert.equal(running.app.events().length, 0);
  });
});

describe("eval with hook", () => {
  const running = useApp({ RAMPART_HOOK_EVAL: "true" });

  test("direct eval loses locals", async () => {
    const response = await get(running, "/run/eval-local", "2");
    assert.equal(response.status, 500, response.body);
    assert.equal((JSON.parse(response.body) as { error: string }).error, "ReferenceError");
  });

  test("calculator arithmetic runs", async () => {
    const response = await get(running, "/run/calculator", "3 * 4");
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(JSON.parse(response.body), { result: 14 });
  });

  test("injected call blocked", async () => {
    const payload = "1, touchMarker('eval')";
    const response = await get(running, "/run/calculator", payload);
    assert.equal(response.status, 403, response.body);

    const eventId = (JSON.parse(response.body) as { event_id: string }).event_id;
    const event = (await running.app.waitForEvent(eventId)) as SecurityEvent;
    assert.deepEqual(eventSchemaErrors(event), []);
    assert.equal(event.attack_type, "code_injection");
    assert.equal(event.sink, "global.eval");
    assert.equal(event.input.path, "query.q");
    assert.equal(existsSync(path.join(running.markerDir, "eval")), false);
  });
});
