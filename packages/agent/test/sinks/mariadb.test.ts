import { describe, test } from "node:test";

import { createFixtureDatabase, mysqlCorpusRoutes, mysqlSafeRoutes } from "../helpers/mysql-server";
import { assertAllowedForm, assertBlockedForm } from "../helpers/sql-call-forms";
import { describeSqlDriver, useDriverApp, type SqlDriverSuite } from "../helpers/sql-driver-suite";

const suite: SqlDriverSuite = {
  driver: "mariadb",
  createFixture: (purpose) => createFixtureDatabase(`mariadb_${purpose}`),
  app: "mariadb-app.cjs",
  sink: "mariadb.query",
  corpus: {
    vulnerable: mysqlCorpusRoutes,
    // /param binds with Pool#execute (binary protocol): bound values are never judged.
    bound: mysqlSafeRoutes.slice(0, 1),
    safe: mysqlSafeRoutes,
  },
  callForms: [
    { path: "/string", sink: "mariadb.query", via: "rejection" },
    { path: "/form/connection-query", sink: "mariadb.query", via: "rejection" },
    { path: "/form/config-object", sink: "mariadb.query", via: "rejection" },
    { path: "/form/execute", sink: "mariadb.execute", via: "rejection" },
    { path: "/form/prepare", sink: "mariadb.prepare", via: "rejection" },
    { path: "/form/batch", sink: "mariadb.batch", via: "rejection" },
    { path: "/form/pool-batch", sink: "mariadb.batch", via: "rejection" },
    { path: "/form/query-stream", sink: "mariadb.queryStream", via: "error-event" },
    { path: "/form/get-connection", sink: "mariadb.query", via: "rejection" },
    { path: "/form/callback-query", sink: "mariadb.query", via: "callback" },
    { path: "/form/callback-execute", sink: "mariadb.execute", via: "callback" },
    { path: "/form/callback-pool", sink: "mariadb.query", via: "callback" },
    { path: "/form/callback-get-connection", sink: "mariadb.query", via: "callback" },
    { path: "/form/callback-nested", sink: "mariadb.query", via: "callback" },
  ],
  // /single/* run on a pool of the callback API, mariadb/callback.
  pool: { hold: "/single/hold", queued: "/single/string" },
};

describeSqlDriver(suite);

describe("mariadb ES module app", () => {
  const current = useDriverApp(suite, "esm", "mariadb-app.mjs");

  test("named createPool import is patched", async () => {
    await assertBlockedForm(current.app, {
      path: "/string",
      sink: "mariadb.query",
      via: "rejection",
    });
  });

  test("named callback createConnection is patched", async () => {
    const form = { path: "/form/callback-query", sink: "mariadb.query", via: "callback" };
    await assertBlockedForm(current.app, form);
    await assertAllowedForm(current.app, form);
  });
});
