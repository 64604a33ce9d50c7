import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

const attack = encodeURIComponent("lamp' OR 'x'='x");

describe("block responses", () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp({ script: "express-errors.cjs", loader: "require", mode: "block" });
  });
  after(() => app.stop());

  test("403 replaces the error handler's 500", async () => {
    const response = await fetch(`${app.url}/next-error?name=${attack}`);
    assert.equal(response.status, 403);
    assert.match(response.headers.get("content-type") ?? "", /application\/json/);
    const body = (await response.json()) as { error: string; event_id: string };
    assert.equal(body.error, "Forbidden");

    const event = await app.waitForEvent(body.event_id);
    assert.equal(event?.action, "blocked");
  });

  test("HTML when the browser asks", async () => {
    const response = await fetch(`${app.url}/next-error?name=${attack}`, {
      headers: { accept: "text/html,application/xhtml+xml" },
    });
    assert.equal(response.status, 403);
    assert.match(await response.text(), /<h1>403 Forbidden<\/h1>/);
  });

  test("403 even when the app answers 200", async () => {
    const response = await fetch(`${app.url}/swallow?name=${attack}`);
    assert.equal(response.status, 403);
  });

  test("unhandled rejection answered, process alive", async () => {
    const response = await fetch(`${app.url}/unhandled?name=${attack}`);
    assert.equal(response.status, 403);

    const next = await fetch(`${app.url}/next-error?name=lamp`);
    assert.equal(next.status, 200, "the app still serves requests");
    assert.equal(app.process.exitCode, null);
  });

  test("block after headers sent keeps process", async () => {
    const response = await fetch(`${app.url}/streaming?name=${attack}`);
    assert.equal(response.status, 200, "the response had started");
    assert.match(await response.text(), /failed: RampartBlockedError/);
    assert.equal(app.process.exitCode, null);
  });

  test("body and params inputs", async () => {
    const response = await fetch(`${app.url}/items/1/rename`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x', name = (SELECT name FROM items LIMIT 1) --" }),
    });
    assert.equal(response.status, 403);

    const { event_id: eventId } = (await response.json()) as { event_id: string };
    const event = await app.waitForEvent(eventId);
    assert.equal(event?.input.path, "body.name");
    assert.equal(event?.request.route, "/items/:id/rename");
  });

  test("benign requests pass", async () => {
    for (const name of ["lamp", "O'Brien".replace("'", "''"), "desk lamp -- big"]) {
      const response = await fetch(`${app.url}/next-error?name=${encodeURIComponent(name)}`);
      assert.equal(response.status, 200, name);
    }
  });
});

describe("uncaught errors", () => {
  test("other errors still crash the app", async () => {
    const app = await startApp({ script: "core-http.cjs", loader: "require", mode: "block" });
    try {
      const exited = new Promise<number | null>((resolve) => app.process.once("exit", resolve));
      await fetch(`${app.url}/crash`).catch(() => undefined);
      assert.equal(await exited, 1, "Node's default: print the error and exit with 1");
      assert.match(app.stderr(), /crash requested by the test/);
    } finally {
      await app.stop();
    }
  });
});
