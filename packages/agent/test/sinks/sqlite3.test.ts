import { describe, test } from "node:test";

import { assertAllowedForm, assertBlockedForm } from "../helpers/sql-call-forms";
import { describeSqlDriver, useDriverApp, type SqlDriverSuite } from "../helpers/sql-driver-suite";
import { createFixtureFile, sqliteCorpusRoutes, sqliteSafeRoutes } from "../helpers/sqlite-files";

const suite: SqlDriverSuite = {
  driver: "sqlite3",
  createFixture: () => createFixtureFile(),
  // Monitor-mode apps open the file read-only, so that no payload they run can change it.
  modeEnv: (mode) => ({ READ_ONLY: mode === "monitor" ? "1" : "0" }),
  app: "sqlite3-app.cjs",
  sink: "sqlite3.all",
  corpus: {
    vulnerable: sqliteCorpusRoutes,
    bound: sqliteSafeRoutes.slice(0, 1),
    safe: sqliteSafeRoutes,
  },
  callForms: [
    { path: "/string", sink: "sqlite3.all", via: "callback" },
    { path: "/form/get", sink: "sqlite3.get", via: "callback" },
    { path: "/form/each", sink: "sqlite3.each", via: "callback" },
    { path: "/form/map", sink: "sqlite3.map", via: "callback" },
    { path: "/form/run", sink: "sqlite3.run", via: "callback" },
    { path: "/form/exec", sink: "sqlite3.exec", via: "callback" },
    { path: "/form/prepare", sink: "sqlite3.prepare", via: "callback" },
    { path: "/form/statement-events", sink: "sqlite3.prepare", via: "error-event" },
    { path: "/form/promisified", sink: "sqlite3.all", via: "rejection" },
    { path: "/form/nested", sink: "sqlite3.all", via: "callback" },
  ],
};

describeSqlDriver(suite);

describe("sqlite3 ES module app", () => {
  const current = useDriverApp(suite, "esm", "sqlite3-app.mjs");

  test("Database#all blocked via callback", async () => {
    await assertBlockedForm(current.app, { path: "/string", sink: "sqlite3.all", via: "callback" });
  });

  test("Database#prepare blocked via callback", async () => {
    const form = { path: "/form/prepare", sink: "sqlite3.prepare", via: "callback" };
    await assertBlockedForm(current.app, form);
    await assertAllowedForm(current.app, form);
  });
});
