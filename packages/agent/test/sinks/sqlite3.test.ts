import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { corpusSkipReason } from "../helpers/corpus";
import {
  assertAllowedForm,
  assertBlockedForm,
  assertHtmlBlockPage,
  assertMonitoredAndRun,
  type CallForm,
} from "../helpers/sql-call-forms";
import { runSqlCorpus } from "../helpers/sql-corpus";
import { assertNoMismatches, corpusPayloads, runMonitorCorpus } from "../helpers/sql-corpus-runs";
import {
  assertBlockedQueryNotTraced,
  createFixtureFile,
  sqliteCorpusRoutes,
  sqliteSafeRoutes,
  type FixtureFile,
} from "../helpers/sqlite-files";

const skipCorpus = corpusSkipReason();

let fixture: FixtureFile;
before(() => {
  fixture = createFixtureFile();
});
after(() => fixture?.remove());

/** Monitor-mode apps open the file read-only, so that no payload they run can change it. */
function start(mode: "block" | "monitor", script = "sqlite3-app.cjs"): Promise<RunningApp> {
  return startApp({
    script,
    loader: script.endsWith(".mjs") ? "import" : "require",
    mode,
    env: { ...fixture.env, READ_ONLY: mode === "monitor" ? "1" : "0" },
  });
}

describe("sqlite3 corpus", { skip: skipCorpus }, () => {
  test("sqli corpus, block mode", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: [...sqliteCorpusRoutes, sqliteSafeRoutes[0]!],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "sqlite3.all",
        label: "sqlite3 sqli, sqlite3-app.cjs",
      });
      assertNoMismatches(report);
    } finally {
      await app.stop();
    }
  });

  test("sqli corpus, monitor mode, read-only file", async () => {
    const report = await runMonitorCorpus({
      start: () => start("monitor"),
      routes: sqliteCorpusRoutes,
      payloads: corpusPayloads("sqli"),
      sink: "sqlite3.all",
      label: "sqlite3 sqli, sqlite3-app.cjs",
    });
    assertNoMismatches(report);
  });

  test("benign corpus on safe routes", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: sqliteSafeRoutes,
        payloads: corpusPayloads("benign"),
        mode: "block",
        sink: "sqlite3.all",
        label: "sqlite3 benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});

const callForms: readonly CallForm[] = [
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
];

describe("sqlite3 call forms", () => {
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

  test("blocked query never runs", async () => {
    await assertBlockedQueryNotTraced(app, fixture, "/string");
  });

  test("403 as HTML when Accept prefers it", async () => {
    await assertHtmlBlockPage(app, "/string");
  });

  test("app keeps serving after blocks", async () => {
    const response = await fetch(`${app.url}/string?name=alice`);
    assert.equal(response.status, 200);
    assert.equal(app.process.exitCode, null);
  });
});

describe("sqlite3 monitor mode", () => {
  test("event logged and query runs", async () => {
    const app = await start("monitor");
    try {
      await assertMonitoredAndRun(app, "/string", "sqlite3.all");
    } finally {
      await app.stop();
    }
  });
});

describe("sqlite3 ES module app", () => {
  let app: RunningApp;
  before(async () => {
    app = await start("block", "sqlite3-app.mjs");
  });
  after(() => app.stop());

  test("Database#all blocked via callback", async () => {
    await assertBlockedForm(app, { path: "/string", sink: "sqlite3.all", via: "callback" });
  });

  test("Database#prepare blocked via callback", async () => {
    const form = { path: "/form/prepare", sink: "sqlite3.prepare", via: "callback" };
    await assertBlockedForm(app, form);
    await assertAllowedForm(app, form);
  });
});
