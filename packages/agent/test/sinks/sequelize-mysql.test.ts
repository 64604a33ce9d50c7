import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { createFixtureDatabase } from "../helpers/mysql-server";
import { assertAllowedForm } from "../helpers/sql-call-forms";
import type { CorpusRoute } from "../helpers/sql-corpus";
import { describeSqlDriver, useDriverApp, type SqlDriverSuite } from "../helpers/sql-driver-suite";
import { mysqlOracles } from "../helpers/sql-oracle";

/** Routes where sequelize inserts the input itself: nothing sent there may be flagged. */
const replacementRoutes: readonly CorpusRoute[] = [
  { path: "/replacements", param: "name", oracle: () => true },
  { path: "/replacements-positional", param: "name", oracle: () => true },
  { path: "/bind", param: "name", oracle: () => true },
];

const suite: SqlDriverSuite = {
  driver: "sequelize mysql",
  createFixture: (purpose) => createFixtureDatabase(`sequelize_${purpose}`),
  app: "sequelize-mysql-app.cjs",
  sink: "mysql2.query",
  corpus: {
    // /string concatenates the input into a raw query.
    vulnerable: [{ path: "/string", param: "name", oracle: mysqlOracles.stringLiteral }],
    bound: replacementRoutes,
    safe: replacementRoutes.slice(0, 1),
  },
  callForms: [
    {
      path: "/string",
      sink: "mysql2.query",
      via: "rejection",
      wrappedBy: "SequelizeDatabaseError",
    },
  ],
};

describeSqlDriver(suite);

describe("sequelize mysql replacements", () => {
  const current = useDriverApp(suite, "replace", "sequelize-mysql-app.cjs");

  for (const route of replacementRoutes) {
    test(`${route.path} runs harmless input`, async () => {
      await assertAllowedForm(current.app, {
        path: route.path,
        sink: "mysql2.query",
        via: "rejection",
      });
    });
  }

  test("attack through replacements passes", async () => {
    const attack = encodeURIComponent("nobody' OR 'a'='a");
    for (const route of replacementRoutes) {
      const response = await fetch(`${current.app.url}${route.path}?name=${attack}`);
      assert.equal(response.status, 200, route.path);
      assert.equal(await response.text(), '{"rows":[]}', `${route.path} matched no row`);
    }
  });
});
