import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { corpusSkipReason } from "../helpers/corpus";
import {
  assertBlockedQueryNotLogged,
  createFixtureDatabase,
  type FixtureDatabase,
} from "../helpers/mysql-server";
import {
  assertAllowedForm,
  assertBlockedForm,
  assertMonitoredAndRun,
} from "../helpers/sql-call-forms";
import { runSqlCorpus, type CorpusRoute } from "../helpers/sql-corpus";
import { assertNoMismatches, corpusPayloads } from "../helpers/sql-corpus-runs";
import { mysqlOracles } from "../helpers/sql-oracle";

const skipCorpus = corpusSkipReason();

/** Routes where sequelize inserts the input itself: nothing sent there may be flagged. */
const replacementRoutes: readonly CorpusRoute[] = [
  { path: "/replacements", param: "name", oracle: () => true },
  { path: "/replacements-positional", param: "name", oracle: () => true },
  { path: "/bind", param: "name", oracle: () => true },
];

let database: FixtureDatabase;
before(async () => {
  database = await createFixtureDatabase("sequelize");
});
after(() => database?.drop());

function start(mode: "block" | "monitor"): Promise<RunningApp> {
  return startApp({
    script: "sequelize-mysql-app.cjs",
    loader: "require",
    mode,
    env: database.env,
  });
}

describe("sequelize mysql corpus", { skip: skipCorpus }, () => {
  test("sqli corpus, raw and replacement queries", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: [
          { path: "/string", param: "name", oracle: mysqlOracles.stringLiteral },
          ...replacementRoutes,
        ],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "mysql2.query",
        label: "sequelize mysql sqli, sequelize-mysql-app.cjs",
      });
      assertNoMismatches(report);
    } finally {
      await app.stop();
    }
  });

  test("benign corpus through replacements", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: replacementRoutes.slice(0, 1),
        payloads: corpusPayloads("benign"),
        mode: "block",
        sink: "mysql2.query",
        label: "sequelize mysql benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});

describe("sequelize mysql queries", () => {
  let app: RunningApp;
  before(async () => {
    app = await start("block");
  });
  after(() => app.stop());

  test("startup query is not judged", () => {
    assert.equal(app.events().length, 0);
  });

  test("concatenated raw query blocked", async () => {
    await assertBlockedForm(app, {
      path: "/string",
      sink: "mysql2.query",
      via: "rejection",
      wrappedBy: "SequelizeDatabaseError",
    });
  });

  for (const path of ["/string", ...replacementRoutes.map((route) => route.path)]) {
    test(`${path} runs harmless input`, async () => {
      await assertAllowedForm(app, { path, sink: "mysql2.query", via: "rejection" });
    });
  }

  test("attack through replacements passes", async () => {
    const attack = encodeURIComponent("nobody' OR 'a'='a");
    for (const route of replacementRoutes) {
      const response = await fetch(`${app.url}${route.path}?name=${attack}`);
      assert.equal(response.status, 200, route.path);
      assert.equal(await response.text(), '{"rows":[]}', `${route.path} matched no row`);
    }
  });

  test("blocked query never reaches the server", async () => {
    await assertBlockedQueryNotLogged(app, "/string");
  });
});

describe("sequelize mysql monitor mode", () => {
  test("event logged and query runs", async () => {
    const app = await start("monitor");
    try {
      await assertMonitoredAndRun(app, "/string", "mysql2.query");
    } finally {
      await app.stop();
    }
  });
});
