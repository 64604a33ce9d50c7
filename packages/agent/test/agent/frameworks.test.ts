import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

const attack = "lamp' OR '1'='1";

interface Case {
  readonly name: string;
  readonly path: string;
  readonly init?: RequestInit;
  readonly inputPath: string;
}

function cases(value: string): Case[] {
  return [
    {
      name: "nested query key",
      path: `/query?filter[name]=${encodeURIComponent(value)}`,
      inputPath: "query.filter.name",
    },
    {
      name: "JSON body",
      path: "/json",
      init: {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ item: { name: value } }),
      },
      inputPath: "body.item.name",
    },
    {
      name: "urlencoded body",
      path: "/form",
      init: {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `name=${encodeURIComponent(value)}`,
      },
      inputPath: "body.name",
    },
    {
      name: "text body",
      path: "/text",
      init: { method: "POST", headers: { "content-type": "text/plain" }, body: value },
      inputPath: "body",
    },
    {
      name: "header",
      path: "/header",
      init: { headers: { "x-owner": value } },
      inputPath: "headers.x-owner",
    },
    {
      name: "cookie",
      path: "/cookie",
      init: { headers: { cookie: `owner=${encodeURIComponent(value)}` } },
      inputPath: "cookies.owner",
    },
  ];
}

for (const framework of ["express4", "express5", "fastify4", "fastify5"]) {
  describe(`${framework} inputs`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp({
        script: "frameworks.cjs",
        loader: "require",
        mode: "block",
        env: { FRAMEWORK: framework },
      });
    });
    after(() => app.stop());

    for (const attackCase of cases(attack)) {
      test(`${attackCase.name} attack blocked`, async () => {
        const response = await fetch(`${app.url}${attackCase.path}`, attackCase.init);
        assert.equal(response.status, 403, `stderr:\n${app.stderr()}`);

        const { event_id: eventId } = (await response.json()) as { event_id: string };
        const event = await app.waitForEvent(eventId);
        assert.ok(event, "event logged");
        assert.equal(event.input.path, attackCase.inputPath);
      });
    }

    for (const benignCase of cases("lamp")) {
      test(`${benignCase.name} benign passes`, async () => {
        const response = await fetch(`${app.url}${benignCase.path}`, benignCase.init);
        assert.equal(response.status, 200);
      });
    }

    test("route params blocked", async () => {
      const response = await fetch(`${app.url}/items/${encodeURIComponent("1 OR 1=1")}`);
      assert.equal(response.status, 403);

      const { event_id: eventId } = (await response.json()) as { event_id: string };
      const last = await app.waitForEvent(eventId);
      assert.equal(
        last?.input.path,
        "params.id",
        "the route param names the input, not the path segment",
      );
      assert.equal(last?.request.route, "/items/:id");
    });
  });
}
