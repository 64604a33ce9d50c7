import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { withQuery } from "../helpers/http-client";
import { createFixtureDatabase, mysqlCorpusRoutes, mysqlSafeRoutes } from "../helpers/mysql-server";
import { assertAllowedForm, assertBlockedForm, stringAttack } from "../helpers/sql-call-forms";
import type { CorpusRoute } from "../helpers/sql-corpus";
import { describeSqlDriver, useDriverApp, type SqlDriverSuite } from "../helpers/sql-driver-suite";

/** /param binds with Pool#execute, and /param-query lets mysql2 format `?` on the client. */
const parameterizedRoutes: readonly CorpusRoute[] = [
  { path: "/param", param: "name", oracle: () => true },
  { path: "/param-query", param: "name", oracle: () => true },
];

const suite: SqlDriverSuite = {
  driver: "mysql2",
  createFixture: (purpose) => createFixtureDatabase(`mysql2_${purpose}`),
  app: "mysql2-app.cjs",
  sink: "mysql2.query",
  corpus: {
    vulnerable: mysqlCorpusRoutes,
    bound: parameterizedRoutes.slice(0, 1),
    safe: [...mysqlSafeRoutes, ...parameterizedRoutes.slice(1)],
  },
  callForms: [
    { path: "/string", sink: "mysql2.query", via: "callback" },
    { path: "/form/connection-callback", sink: "mysql2.query", via: "callback" },
    { path: "/form/config-object", sink: "mysql2.query", via: "callback" },
    { path: "/form/execute", sink: "mysql2.execute", via: "callback" },
    { path: "/form/prepare", sink: "mysql2.prepare", via: "callback" },
    { path: "/form/events", sink: "mysql2.query", via: "error-event" },
    { path: "/form/promise-connection", sink: "mysql2.query", via: "rejection" },
    { path: "/form/promise-pool-execute", sink: "mysql2.execute", via: "rejection" },
    { path: "/form/get-connection", sink: "mysql2.query", via: "callback" },
    { path: "/form/cluster", sink: "mysql2.query", via: "callback" },
    { path: "/form/nested", sink: "mysql2.query", via: "callback" },
  ],
  pool: { hold: "/single/hold", queued: "/single/string" },
};

describeSqlDriver(suite);

describe("mysql2 ES module app", () => {
  const current = useDriverApp(suite, "esm", "mysql2-app.mjs");

  test("promise pool blocked via rejection", async () => {
    await assertBlockedForm(current.app, {
      path: "/string",
      sink: "mysql2.query",
      via: "rejection",
    });
  });

  test("promise execute blocked via rejection", async () => {
    await assertBlockedForm(current.app, {
      path: "/form/execute",
      sink: "mysql2.execute",
      via: "rejection",
    });
  });

  test("parameterized attack passes", async () => {
    const app = current.app;
    const eventsBefore = app.events().length;
    const response = await fetch(`${app.url}${withQuery("/param", [["name", stringAttack]])}`);
    assert.equal(response.status, 200);

    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(app.events().length, eventsBefore, "no event for a bound value");
  });
});

describe("mysql2/promise required alone", () => {
  const current = useDriverApp(suite, "promise", "mysql2-promise-app.cjs");

  test("promise pool blocked via rejection", async () => {
    const form = { path: "/string", sink: "mysql2.query", via: "rejection" };
    await assertBlockedForm(current.app, form);
    await assertAllowedForm(current.app, form);
  });
});
