import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

describe("request context", () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp({ script: "core-http.cjs", loader: "require", mode: "block" });
  });
  after(() => app.stop());

  for (const route of ["/direct", "/promise", "/timer", "/emitter"]) {
    test(`context follows ${route.slice(1)}`, async () => {
      const payload = `${route.slice(1)}' OR 'a'='a`;
      const response = await fetch(`${app.url}${route}?name=${encodeURIComponent(payload)}`);
      assert.equal(response.status, 403);

      const body = (await response.json()) as { event_id: string };
      const event = await app.waitForEvent(body.event_id);
      assert.ok(event, "the 403 names a logged event");
      assert.equal(event.request.path, route);
      assert.equal(event.input.value, payload);
    });
  }

  test("concurrent requests keep their own inputs", async () => {
    const before = app.events().length;
    const benign = Array.from({ length: 20 }, (_, index) =>
      fetch(`${app.url}/timer?name=user${index}`).then((response) => response.status),
    );
    const attacks = Array.from({ length: 20 }, (_, index) =>
      fetch(`${app.url}/promise?name=${encodeURIComponent(`a${index}' OR '1'='1`)}`).then(
        (response) => response.status,
      ),
    );

    const statuses = await Promise.all([...benign, ...attacks]);
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(200));
    assert.deepEqual(statuses.slice(20), Array(20).fill(403));

    const events = (await app.waitForEvents(before + 20)).slice(before);
    assert.equal(events.length, 20);
    assert.ok(events.every((event) => event.request.path === "/promise"));
  });

  test("startup query is not judged", () => {
    assert.ok(!app.events().some((event) => event.request.path === undefined));
    assert.ok(!app.stderr().includes('"level":"error"'), app.stderr());
  });
});
