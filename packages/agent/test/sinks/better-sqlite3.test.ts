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
function start(mode: "block" | "monitor"): Promise<RunningApp> {
  return startApp({
    script: "better-sqlite3-app.cjs",
    loader: "require",
    mode,
    env: { ...fixture.env, READ_ONLY: mode === "monitor" ? "1" : "0" },
  });
}

describe("better-sqlite3 corpus", { skip: skipCorpus }, () => {
  test("sqli corpus, block mode", async () => {
    const app = await start("block");
    try {
      const report = await runSqlCorpus({
        app,
        routes: [...sqliteCorpusRoutes, sqliteSafeRoutes[0]!],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "better-sqlite3.prepare",
        label: "better-sqlite3 sqli, better-sqlite3-app.cjs",
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
      sink: "better-sqlite3.prepare",
      label: "better-sqlite3 sqli, better-sqlite3-app.cjs",
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
        sink: "better-sqlite3.prepare",
        label: "better-sqlite3 benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});

const callForms: readonly CallForm[] = [
  { path: "/string", sink: "better-sqlite3.prepare", via: "throw" },
  { path: "/form/get", sink: "better-sqlite3.prepare", via: "throw" },
  { path: "/form/iterate", sink: "better-sqlite3.prepare", via: "throw" },
  { path: "/form/transaction", sink: "better-sqlite3.prepare", via: "throw" },
  { path: "/form/exec", sink: "better-sqlite3.exec", via: "throw" },
  { path: "/form/timer", sink: "better-sqlite3.prepare", via: "throw" },
];

describe("better-sqlite3 call forms", () => {
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
});

describe("better-sqlite3 monitor mode", () => {
  test("event logged and query runs", async () => {
    const app = await start("monitor");
    try {
      await assertMonitoredAndRun(app, "/string", "better-sqlite3.prepare");
    } finally {
      await app.stop();
    }
  });
});
