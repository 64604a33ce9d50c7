import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type AppOptions, type RunningApp } from "../helpers/app-process";
import { frameworkSuite } from "./suite";
import { routeTemplateTest } from "./route-template";

const form = (name: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: `name=${encodeURIComponent(name)}`,
});

/** Tests the `/validated-form` route, which reads the body with `validator("form")`. */
function validatedFormTest(name: string, options: Omit<AppOptions, "mode">): void {
  describe(`${name}: form validator`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp({ ...options, mode: "block" });
    });
    after(() => app?.stop());

    test("validated form attack answered 403", async () => {
      const response = await fetch(`${app.url}/validated-form`, form("lamp' OR '1'='1"));
      const text = await response.text();
      assert.equal(response.status, 403, `body: ${text}\nstderr:\n${app.stderr()}`);

      const { event_id: eventId } = JSON.parse(text) as { event_id: string };
      const event = await app.waitForEvent(eventId);
      assert.ok(event, `event ${eventId} logged; stderr:\n${app.stderr()}`);
      assert.equal(event.input.path, "body.name");
      assert.equal(event.request.route, "/validated-form");
    });

    test("validated benign form answered 200", async () => {
      const response = await fetch(`${app.url}/validated-form`, form("lamp"));
      const text = await response.text();
      assert.equal(response.status, 200, `body: ${text}\nstderr:\n${app.stderr()}`);
      assert.equal((JSON.parse(text) as unknown[]).length, 1);
    });
  });
}

const required = { script: "frameworks/hono.cjs", loader: "require" } as const;
frameworkSuite("hono on @hono/node-server", required);
routeTemplateTest("hono on @hono/node-server", required);
validatedFormTest("hono on @hono/node-server", required);

const imported = { script: "frameworks/hono.mjs", loader: "import" } as const;
frameworkSuite("hono imported as ES modules", imported);
routeTemplateTest("hono imported as ES modules", imported);
validatedFormTest("hono imported as ES modules", imported);
