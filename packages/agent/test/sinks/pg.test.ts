import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp } from "../helpers/app-process";
import { corpusSkipReason, loadCorpus } from "../helpers/corpus";
import {
  createFixtureDatabase,
  postgresqlCorpusRoutes,
  postgresqlSafeRoutes,
  type FixtureDatabase,
} from "../helpers/pg-server";
import { describeMismatches, runSqlCorpus, type CorpusReport } from "../helpers/sql-corpus";

const skip = corpusSkipReason();

function corpusPayloads(name: string): string[] {
  return loadCorpus(name).flatMap((entry) => (typeof entry.payload === "string" ? [entry.payload] : []));
}

function assertNoMismatches(report: CorpusReport): void {
  assert.equal(report.missed.length, 0, `breaking payloads not caught: ${describeMismatches(report.missed)}`);
  assert.equal(report.falsePositives.length, 0, `payloads flagged in error: ${describeMismatches(report.falsePositives)}`);
  assert.equal(report.wrongEvents.length, 0, `events with wrong fields: ${describeMismatches(report.wrongEvents)}`);
  assert.equal(report.wrongBodies.length, 0, `403 bodies without the event id: ${describeMismatches(report.wrongBodies)}`);
}

describe("pg corpus", { skip }, () => {
  let database: FixtureDatabase;
  before(async () => {
    database = await createFixtureDatabase("pg_corpus");
  });
  after(() => database?.drop());

  test("sqli corpus, block mode, CommonJS", async () => {
    const app = await startApp({ script: "pg-app.cjs", loader: "require", mode: "block", env: database.env });
    try {
      const report = await runSqlCorpus({
        app,
        routes: [...postgresqlCorpusRoutes, postgresqlSafeRoutes[0]!],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "pg.query",
        label: "pg sqli, pg-app.cjs",
      });
      assertNoMismatches(report);
      assert.ok(report.counts.every((count) => count.route === "/param" || count.breaking > 0), "every vulnerable route saw breaking payloads");
    } finally {
      await app.stop();
    }
  });

  test("sqli corpus, monitor mode", async () => {
    const app = await startApp({ script: "pg-app.cjs", loader: "require", mode: "monitor", env: database.env });
    try {
      const report = await runSqlCorpus({
        app,
        routes: postgresqlCorpusRoutes,
        payloads: corpusPayloads("sqli"),
        mode: "monitor",
        sink: "pg.query",
        label: "pg sqli, pg-app.cjs",
      });
      assertNoMismatches(report);
    } finally {
      await app.stop();
    }
  });

  test("benign corpus on safe routes", async () => {
    const app = await startApp({ script: "pg-app.cjs", loader: "require", mode: "block", env: database.env });
    try {
      const report = await runSqlCorpus({
        app,
        routes: postgresqlSafeRoutes,
        payloads: corpusPayloads("benign"),
        mode: "block",
        sink: "pg.query",
        label: "pg benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});
