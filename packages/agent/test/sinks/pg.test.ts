import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { HttpClient, withQuery } from "../helpers/http-client";
import {
  assertBenignBehindHold,
  assertJobNotJudged,
  assertJudgedBehindHold,
  heldAttack,
} from "../helpers/pg-held-connection";
import {
  createFixtureDatabase,
  postgresqlCorpusRoutes,
  postgresqlSafeRoutes,
} from "../helpers/pg-server";
import { describeSqlDriver, useDriverApp, type SqlDriverSuite } from "../helpers/sql-driver-suite";

const suite: SqlDriverSuite = {
  driver: "pg",
  createFixture: (purpose) =>
    createFixtureDatabase(`pg_${purpose}`, { logStatements: purpose !== "corpus" }),
  app: "pg-app.cjs",
  sink: "pg.query",
  corpus: {
    vulnerable: postgresqlCorpusRoutes,
    bound: postgresqlSafeRoutes.slice(0, 1),
    safe: postgresqlSafeRoutes,
    sampleApp: "pg-app.mjs",
  },
  // Every route of pg-forms.cjs runs the same query through another form of Client#query or
  // Pool#query, and the error must reach the app the way pg reports errors for that form.
  formsApp: "pg-forms.cjs",
  callForms: [
    { path: "/client-callback", sink: "pg.query", via: "callback" },
    { path: "/client-values-callback", sink: "pg.query", via: "callback" },
    { path: "/client-promise", sink: "pg.query", via: "rejection" },
    { path: "/config-object", sink: "pg.query", via: "rejection" },
    { path: "/config-callback", sink: "pg.query", via: "callback" },
    { path: "/named-statement", sink: "pg.query", via: "rejection" },
    { path: "/query-object-events", sink: "pg.query", via: "error-event" },
    { path: "/query-object-callback", sink: "pg.query", via: "callback" },
    { path: "/custom-submittable", sink: "pg.query", via: "callback" },
    { path: "/cursor-stream", sink: "pg.query", via: "error-event" },
    { path: "/pool-promise", sink: "pg.query", via: "rejection" },
    { path: "/pool-callback", sink: "pg.query", via: "callback" },
    { path: "/pool-connect-callback", sink: "pg.query", via: "callback" },
    { path: "/pool-connect-promise", sink: "pg.query", via: "rejection" },
  ],
};

describeSqlDriver(suite);

describe("pg pool of one client", () => {
  const current = useDriverApp(suite, "pool", "pg-pool.cjs");

  for (const route of ["/connect-callback", "/connect-promise", "/pool-query"]) {
    test(`${route} judged for its own request`, async () => {
      await assertJudgedBehindHold(current.app, route);
    });
  }

  test("waiting benign request passes", async () => {
    await assertBenignBehindHold(current.app, "/pool-query");
  });

  test("nested callback judged for its own request", async () => {
    const app = current.app;
    const client = new HttpClient(app.url);
    try {
      // /hold opens the pooled connection, so its socket callbacks run in /hold's context.
      assert.equal((await client.get("/hold?ms=1")).status, 200);

      const eventsBefore = app.events().length;
      const response = await client.get(withQuery("/nested-callback", [["name", heldAttack]]), {
        "x-request-id": "nested",
      });
      assert.equal(response.status, 403, response.body);
      const events = await app.waitForEvents(eventsBefore + 1);
      assert.ok(
        events.some(
          (event) => event.request.request_id === "nested" && event.input.path === "query.name",
        ),
      );
    } finally {
      client.close();
    }
  });

  test("background job queued behind a request is not judged", async () => {
    await assertJobNotJudged(current.app, "/pool-query");
  });
});
