import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { corpusSkipReason } from "../helpers/corpus";
import { withQuery } from "../helpers/http-client";
import {
  createFixtureDatabase,
  assertBlockedQueryNotLogged,
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
  stringAttack,
  type CallForm,
} from "../helpers/sql-call-forms";
import { runSqlCorpus, type CorpusRoute } from "../helpers/sql-corpus";
import { assertNoMismatches, corpusPayloads, runMonitorCorpus } from "../helpers/sql-corpus-runs";

const skipCorpus = corpusSkipReason();

/** /param binds with Pool#execute, and /param-query lets mysql2 format `?` on the client. */
const parameterizedRoutes: readonly CorpusRoute[] = [
  { path: "/param", param: "name", oracle: () => true },
  { path: "/param-query", param: "name", oracle: () => true },
];

let database: FixtureDatabase;
before(async () => {
  database = await createFixtureDatabase("mysql2");
});
after(() => database?.drop());

function start(mode: "block" | "monitor", script = "mysql2-app.cjs"): Promise<RunningApp> {
  return startApp({
    script,
    loader: script.endsWith(".mjs") ? "import" : "require",
    mode,
    env: database.env,
  });
}

describe("mysql2 corpus", { skip: skipCorpus }, () => {
  test("sqli corpus, block mode", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: [...mysqlCorpusRoutes, parameterizedRoutes[0]!],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "mysql2.query",
        label: "mysql2 sqli, mysql2-app.cjs",
      });
      assertNoMismatches(report);
      const vulnerable = report.counts.filter((count) => !count.route.startsWith("/param"));
      assert.ok(
        vulnerable.every((count) => count.breaking > 0),
        "every vulnerable route saw breaking payloads",
      );
    } finally {
      await app.stop();
    }
  });

  test("sqli corpus, monitor mode", async () => {
    const report = await runMonitorCorpus({
      start: () => start("monitor"),
      routes: mysqlCorpusRoutes,
      payloads: corpusPayloads("sqli"),
      sink: "mysql2.query",
      label: "mysql2 sqli, mysql2-app.cjs",
    });
    assertNoMismatches(report);
  });

  test("benign corpus on safe routes", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: [...mysqlSafeRoutes, parameterizedRoutes[1]!],
        payloads: corpusPayloads("benign"),
        mode: "block",
        sink: "mysql2.query",
        label: "mysql2 benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});

const callForms: readonly CallForm[] = [
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
];

describe("mysql2 call forms", () => {
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
});

describe("mysql2 monitor mode", () => {
  test("event logged and query runs", async () => {
    const app = await start("monitor");
    try {
      await assertMonitoredAndRun(app, "/string", "mysql2.query");
    } finally {
      await app.stop();
    }
  });
});

describe("mysql2 ES module app", () => {
  let app: RunningApp;
  before(async () => {
    app = await start("block", "mysql2-app.mjs");
  });
  after(() => app.stop());

  test("promise pool blocked via rejection", async () => {
    await assertBlockedForm(app, { path: "/string", sink: "mysql2.query", via: "rejection" });
  });

  test("promise execute blocked via rejection", async () => {
    await assertBlockedForm(app, {
      path: "/form/execute",
      sink: "mysql2.execute",
      via: "rejection",
    });
  });

  test("parameterized attack passes", async () => {
    const eventsBefore = app.events().length;
    const response = await fetch(`${app.url}${withQuery("/param", [["name", stringAttack]])}`);
    assert.equal(response.status, 200);

    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(app.events().length, eventsBefore, "no event for a bound value");
  });
});

describe("mysql2/promise required alone", () => {
  test("promise pool blocked via rejection", async () => {
    const app = await start("block", "mysql2-promise-app.cjs");
    try {
      const form = { path: "/string", sink: "mysql2.query", via: "rejection" };
      await assertBlockedForm(app, form);
      await assertAllowedForm(app, form);
    } finally {
      await app.stop();
    }
  });
});
