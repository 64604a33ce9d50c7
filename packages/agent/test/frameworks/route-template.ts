import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type AppOptions, type RunningApp } from "../helpers/app-process";

/**
 * Checks that events of a framework test app name the route template that the framework matched
 * (`/items/:id`), which the agent reads from the framework's request object, not from the URL.
 */
export function routeTemplateTest(name: string, options: Omit<AppOptions, "mode">): void {
  describe(`${name}: route template`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp({ ...options, mode: "block" });
    });
    after(() => app?.stop());

    test("event names the matched route", async () => {
      const response = await fetch(`${app.url}/items/${encodeURIComponent("1 OR 1=1")}`);
      const text = await response.text();
      assert.equal(response.status, 403, `body: ${text}\nstderr:\n${app.stderr()}`);

      const { event_id: eventId } = JSON.parse(text) as { event_id: string };
      const event = await app.waitForEvent(eventId);
      assert.ok(event, `event ${eventId} logged; stderr:\n${app.stderr()}`);
      assert.equal(event.request.route, "/items/:id");
      assert.equal(event.request.path, "/items/1%20OR%201%3D1");
      assert.equal(event.input.path, "params.id");
    });
  });
}
