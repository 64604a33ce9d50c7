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
  database = await createFixtureDatabase("mysql");
});
after(() => database?.drop());

function start(mode: "block" | "monitor"): Promise<RunningApp> {
  return startApp({ script: "mysql-app.cjs", loader: "require", mode, env: database.env });
}

describe("mysql corpus", { skip: skipCorpus }, () => {
  test("sqli corpus, block mode", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        // /param formats `?` on the client with mysql's escaping: bound values are never judged.
        routes: [...mysqlCorpusRoutes, mysqlSafeRoutes[0]!],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "mysql.query",
        label: "mysql sqli, mysql-app.cjs",
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
      sink: "mysql.query",
      label: "mysql sqli, mysql-app.cjs",
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
        sink: "mysql.query",
        label: "mysql benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});

const callForms: readonly CallForm[] = [
  { path: "/string", sink: "mysql.query", via: "callback" },
  { path: "/form/connection-callback", sink: "mysql.query", via: "callback" },
  { path: "/form/config-object", sink: "mysql.query", via: "callback" },
  { path: "/form/events", sink: "mysql.query", via: "error-event" },
  { path: "/form/stream", sink: "mysql.query", via: "error-event" },
  { path: "/form/promisified", sink: "mysql.query", via: "rejection" },
  { path: "/form/get-connection", sink: "mysql.query", via: "callback" },
  { path: "/form/cluster", sink: "mysql.query", via: "callback" },
  { path: "/form/nested", sink: "mysql.query", via: "callback" },
];

describe("mysql call forms", () => {
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

  test("pool of one shared by two requests", async () => {
    await assertQueuedRequestJudgedAlone(app, "/single/hold", "/single/string");
  });

  test("app keeps serving after blocks", async () => {
    const response = await fetch(`${app.url}/string?name=alice`);
    assert.equal(response.status, 200);
    assert.equal(app.process.exitCode, null);
  });
});

describe("mysql monitor mode", () => {
  test("event logged and query runs", async () => {
    const app = await start("monitor");
    try {
      await assertMonitoredAndRun(app, "/string", "mysql.query");
    } finally {
      await app.stop();
    }
  });
});
