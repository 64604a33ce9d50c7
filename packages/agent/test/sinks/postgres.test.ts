import { describe, test } from "node:test";

import {
  assertBenignBehindHold,
  assertJobNotJudged,
  assertJudgedBehindHold,
} from "../helpers/pg-held-connection";
import {
  createFixtureDatabase,
  postgresqlCorpusRoutes,
  postgresqlSafeRoutes,
} from "../helpers/pg-server";
import { describeSqlDriver, useDriverApp, type SqlDriverSuite } from "../helpers/sql-driver-suite";

// postgres has no function that escapes a string literal, so its apps have no /escaped route.
const safeRoutes = postgresqlSafeRoutes.filter((route) => route.path !== "/escaped");

const suite: SqlDriverSuite = {
  driver: "postgres",
  createFixture: (purpose) =>
    createFixtureDatabase(`postgres_${purpose}`, { logStatements: purpose !== "corpus" }),
  app: "postgres-app.mjs",
  sink: "postgres.unsafe",
  corpus: {
    vulnerable: postgresqlCorpusRoutes,
    bound: safeRoutes.slice(0, 1),
    safe: safeRoutes,
    sampleApp: "postgres-app.cjs",
  },
  // The monitor-mode test runs the CommonJS build, which the corpus suite only samples in block mode.
  monitorApp: "postgres-app.cjs",
  // Every route of postgres-forms.mjs runs the same query through another postgres API. All of them
  // reject the query's promise.
  formsApp: "postgres-forms.mjs",
  callForms: [
    { path: "/unsafe", sink: "postgres.unsafe", via: "rejection" },
    { path: "/unsafe-values", sink: "postgres.unsafe", via: "rejection" },
    { path: "/unsafe-simple", sink: "postgres.unsafe", via: "rejection" },
    { path: "/unsafe-values-rows", sink: "postgres.unsafe", via: "rejection" },
    { path: "/unsafe-execute", sink: "postgres.unsafe", via: "rejection" },
    { path: "/tagged-fragment", sink: "postgres.sql", via: "rejection" },
    { path: "/begin", sink: "postgres.unsafe", via: "rejection" },
    { path: "/begin-savepoint", sink: "postgres.unsafe", via: "rejection" },
    { path: "/reserve", sink: "postgres.unsafe", via: "rejection" },
    { path: "/cursor", sink: "postgres.unsafe", via: "rejection" },
    { path: "/for-each", sink: "postgres.unsafe", via: "rejection" },
  ],
};

describeSqlDriver(suite);

describe("postgres with one connection", () => {
  const current = useDriverApp(suite, "pool", "postgres-pool.cjs");

  // First in this suite on purpose: /hold opens the connection, so the connection's socket callbacks,
  // which build every queued query, run in the context of a request whose input is the job's value.
  test("background job queued behind a request is not judged", async () => {
    await assertJobNotJudged(current.app, "/unsafe");
  });

  for (const route of ["/unsafe", "/tagged-fragment", "/begin", "/reserve"]) {
    test(`${route} judged for its own request`, async () => {
      await assertJudgedBehindHold(current.app, route);
    });
  }

  test("waiting benign request passes", async () => {
    await assertBenignBehindHold(current.app, "/unsafe");
  });
});
