import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { corpusSkipReason } from "../helpers/corpus";
import {
  assertBlockedQueryNotLogged,
  createFixtureDatabase,
  mysqlCorpusRoutes,
  mysqlSafeRoutes,
  type FixtureDatabase,
} from "../helpers/mysql-server";
import {
  assertAllowedForm,
  assertBlockedForm,
  assertHtmlBlockPage,
  assertMonitoredAndRun,
  assertQueuedRequestJudgedAlone,
  type CallForm,
} from "../helpers/sql-call-forms";
import { runSqlCorpus } from "../helpers/sql-corpus";
import { assertNoMismatches, corpusPayloads, runMonitorCorpus } from "../helpers/sql-corpus-runs";

const skipCorpus = corpusSkipReason();

let database: FixtureDatabase;
before(async () => {
  database = await createFixtureDatabase("mariadb");
});
after(() => database?.drop());

function start(mode: "block" | "monitor", script = "mariadb-app.cjs"): Promise<RunningApp> {
  const loader = script.endsWith(".mjs") ? "import" : "require";
  return startApp({ script, loader, mode, env: database.env });
}

describe("mariadb corpus", { skip: skipCorpus }, () => {
  test("sqli corpus, block mode", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        // /param binds with Pool#execute (binary protocol): bound values are never judged.
        routes: [...mysqlCorpusRoutes, mysqlSafeRoutes[0]!],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "mariadb.query",
        label: "mariadb sqli, mariadb-app.cjs",
      });
      assertNoMismatches(report);
    } finally {
      await app.stop();
    }
  });

  test("sqli corpus, monitor mode", async () => {
    const report = await runMonitorCorpus({
      start: () => start("monitor"),
      routes: mysqlCorpusRoutes,
      payloads: corpusPayloads("sqli"),
      sink: "mariadb.query",
      label: "mariadb sqli, mariadb-app.cjs",
    });
    assertNoMismatches(report);
  });

  test("benign corpus on safe routes", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: mysqlSafeRoutes,
        payloads: corpusPayloads("benign"),
        mode: "block",
        sink: "mariadb.query",
        label: "mariadb benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});

const callForms: readonly CallForm[] = [
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
];

describe("mariadb call forms", () => {
  let app: RunningApp;
  before(async () => {
    app = await start("block");
  });
  after(() => app.stop());

  test("startup query is not judged", () => {
    assert.equal(app.events().length, 0);
  });

  for (const form of callForms) {
    test(`${form.path} blocked via ${form.via}`, async () => {
      await assertBlockedForm(app, form);
    });

    test(`${form.path} runs harmless input`, async () => {
      await assertAllowedForm(app, form);
    });
  }

  test("blocked query never reaches the server", async () => {
    await assertBlockedQueryNotLogged(app, "/string");
  });

  test("403 as HTML when Accept prefers it", async () => {
    await assertHtmlBlockPage(app, "/string");
  });

  test("callback pool of one shared by two requests", async () => {
    await assertQueuedRequestJudgedAlone(app, "/single/hold", "/single/string");
  });
});

describe("mariadb monitor mode", () => {
  test("event logged and query runs", async () => {
    const app = await start("monitor");
    try {
      await assertMonitoredAndRun(app, "/string", "mariadb.query");
    } finally {
      await app.stop();
    }
  });
});

describe("mariadb ES module app", () => {
  let app: RunningApp;
  before(async () => {
    app = await start("block", "mariadb-app.mjs");
  });
  after(() => app.stop());

  test("named createPool import is patched", async () => {
    await assertBlockedForm(app, { path: "/string", sink: "mariadb.query", via: "rejection" });
  });

  test("named callback createConnection is patched", async () => {
    const form = { path: "/form/callback-query", sink: "mariadb.query", via: "callback" };
    await assertBlockedForm(app, form);
    await assertAllowedForm(app, form);
  });
});
