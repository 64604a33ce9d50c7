// The suites that every SQL driver's test file runs with its own configuration: the sqli and benign
// corpus in block and monitor mode, each call form blocked and allowed, and monitor mode.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "./app-process";
import { corpusSkipReason } from "./corpus";
import {
  assertAllowedForm,
  assertBlockedForm,
  assertBlockedQueriesNeverRan,
  assertHtmlBlockPage,
  assertMonitoredAndRun,
  assertQueuedRequestJudgedAlone,
  type CallForm,
  type StatementLog,
} from "./sql-call-forms";
import {
  assertNoMismatches,
  corpusPayloads,
  runMonitorCorpus,
  runSqlCorpus,
  type CorpusRoute,
} from "./sql-corpus";

export type AgentMode = "block" | "monitor";

/** A database, or a database file, that the apps of one describe block run against. */
export interface SqlFixture {
  /** Environment for a fixture app: connection settings, table or file. */
  readonly env: Record<string, string>;
  /** The server's own record of the statements it runs. */
  readonly statements: StatementLog;
  drop(): Promise<void> | void;
}

/** The routes that get the corpus, and how to send it. */
export interface CorpusSuite {
  /**
   * Routes that concatenate the input into SQL. The first one must put `name` into a string literal,
   * because the monitor-mode test sends its attack there.
   */
  readonly vulnerable: readonly CorpusRoute[];
  /** Routes that get the sqli corpus next to the vulnerable ones; they bind or escape the input. */
  readonly bound: readonly CorpusRoute[];
  /** Routes that get the benign corpus. */
  readonly safe: readonly CorpusRoute[];
  /** The app in the other module format: it gets every 10th sqli payload on vulnerable and safe routes. */
  readonly sampleApp?: string;
  /** Returns false for a payload that the driver changes before the agent can see it; it is not sent. */
  readonly sendable?: (payload: string) => boolean;
}

/** One driver's configuration of the shared suites. */
export interface SqlDriverSuite {
  /** First words of every describe title, such as `mysql2` or `sequelize mysql`. */
  readonly driver: string;
  /**
   * Creates the fixture of one describe block. `purpose` (`corpus`, `forms`, `monitor` or a name of
   * the driver's own) keeps names apart. Only corpus fixtures may leave statement logging off.
   */
  createFixture(purpose: string): Promise<SqlFixture> | SqlFixture;
  /** Extra environment of an app in `mode`, such as READ_ONLY=1 for monitor-mode SQLite apps. */
  readonly modeEnv?: (mode: AgentMode) => Record<string, string>;
  /** Fixture app that serves the corpus routes. An `.mjs` app is loaded with `--import`. */
  readonly app: string;
  /** Expected sink of the events that the corpus routes of `app` raise. */
  readonly sink: string;
  readonly corpus: CorpusSuite;
  /** Fixture app of the monitor-mode test, when it is not `app`. */
  readonly monitorApp?: string;
  /** Fixture app that serves the call forms, when it is not `app`. */
  readonly formsApp?: string;
  /** The call forms; the HTML block page and keep-serving tests use the first one. */
  readonly callForms: readonly CallForm[];
  /** Routes on a pool of one connection: `hold` keeps it while two requests to `queued` wait. */
  readonly pool?: { readonly hold: string; readonly queued: string };
}

/** Starts `script` in `mode` against `fixture`. */
export function startDriverApp(
  suite: SqlDriverSuite,
  fixture: SqlFixture,
  script: string,
  mode: AgentMode,
): Promise<RunningApp> {
  return startApp({
    script,
    loader: script.endsWith(".mjs") ? "import" : "require",
    mode,
    env: { ...fixture.env, ...suite.modeEnv?.(mode) },
  });
}

/** The fixture of a describe block and the app started on it, once the block's `before` hook ran. */
export interface SuiteApp {
  readonly fixture: SqlFixture;
  readonly app: RunningApp;
}

/**
 * Registers hooks in the enclosing describe block. `before` creates a fixture for `purpose` and, when
 * `script` is given, starts it in `mode`. `after` stops the app and drops the fixture.
 */
export function useDriverApp(
  suite: SqlDriverSuite,
  purpose: string,
  script?: string,
  mode: AgentMode = "block",
): SuiteApp {
  let fixture: SqlFixture | undefined;
  let app: RunningApp | undefined;
  before(async () => {
    fixture = await suite.createFixture(purpose);
    if (script !== undefined) app = await startDriverApp(suite, fixture, script, mode);
  });
  after(async () => {
    await app?.stop();
    await fixture?.drop();
  });

  return {
    get fixture() {
      assert.ok(
        fixture !== undefined,
        "fixture missing: the describe block's before hook has not run",
      );
      return fixture;
    },
    get app() {
      assert.ok(app !== undefined, "app missing: the describe block's before hook has not run");
      return app;
    },
  };
}

/**
 * Describes the shared suites of one driver: `<driver> corpus`, `<driver> call forms` and
 * `<driver> monitor mode`. Each gets a fixture of its own.
 */
export function describeSqlDriver(suite: SqlDriverSuite): void {
  describeCorpus(suite);
  describeCallForms(suite);
  describeMonitorMode(suite);
}

function describeCorpus(suite: SqlDriverSuite): void {
  const { vulnerable, bound, safe, sampleApp, sendable = () => true } = suite.corpus;
  const payloads = (name: string) => corpusPayloads(name).filter(sendable);

  describe(`${suite.driver} corpus`, { skip: corpusSkipReason() }, () => {
    const current = useDriverApp(suite, "corpus");
    const start = (mode: AgentMode, script = suite.app) =>
      startDriverApp(suite, current.fixture, script, mode);

    test("sqli corpus, block mode", async () => {
      const app = await start("block");
      try {
        const report = await runSqlCorpus({
          app,
          routes: [...vulnerable, ...bound],
          payloads: payloads("sqli"),
          mode: "block",
          sink: suite.sink,
          label: `${suite.driver} sqli, ${suite.app}`,
        });
        assertNoMismatches(report);
        for (const route of vulnerable) {
          const count = report.counts.find((candidate) => candidate.route === route.path);
          assert.ok((count?.breaking ?? 0) > 0, `${route.path} saw breaking payloads`);
        }
      } finally {
        await app.stop();
      }
    });

    test("sqli corpus, monitor mode", async () => {
      const report = await runMonitorCorpus({
        start: () => start("monitor"),
        routes: vulnerable,
        payloads: payloads("sqli"),
        sink: suite.sink,
        label: `${suite.driver} sqli, ${suite.app}`,
      });
      assertNoMismatches(report);
    });

    if (sampleApp !== undefined) {
      const format = sampleApp.endsWith(".mjs") ? "ESM" : "CommonJS";
      test(`${format} app, sample of the corpus`, async () => {
        const app = await start("block", sampleApp);
        try {
          // Every 10th payload keeps this run short; `suite.app` gets the whole corpus.
          const sample = payloads("sqli").filter((_payload, index) => index % 10 === 0);
          const report = await runSqlCorpus({
            app,
            routes: [...vulnerable, ...safe],
            payloads: sample,
            mode: "block",
            sink: suite.sink,
            label: `${suite.driver} sqli sample, ${sampleApp}`,
          });
          assertNoMismatches(report);
          assert.ok(
            report.counts.some((count) => count.caught > 0),
            `${sampleApp} blocked payloads`,
          );
        } finally {
          await app.stop();
        }
      });
    }

    test("benign corpus on safe routes", async () => {
      const app = await start("block");
      try {
        const report = await runSqlCorpus({
          app,
          routes: safe,
          payloads: payloads("benign"),
          mode: "block",
          sink: suite.sink,
          label: `${suite.driver} benign`,
        });
        assertNoMismatches(report);
        assert.equal(app.events().length, 0, "no events at all");
      } finally {
        await app.stop();
      }
    });
  });
}

function describeCallForms(suite: SqlDriverSuite): void {
  const [first] = suite.callForms;
  assert.ok(first !== undefined, `${suite.driver}: at least one call form`);

  describe(`${suite.driver} call forms`, () => {
    const current = useDriverApp(suite, "forms", suite.formsApp ?? suite.app);

    test("startup query is not judged", () => {
      assert.equal(current.app.events().length, 0);
    });

    for (const form of suite.callForms) {
      test(`${form.path} blocked via ${form.via}`, async () => {
        await assertBlockedForm(current.app, form);
      });

      test(`${form.path} runs harmless input`, async () => {
        await assertAllowedForm(current.app, form);
      });
    }

    test("blocked queries never reach the server", async () => {
      const paths = suite.callForms.map((form) => form.path);
      await assertBlockedQueriesNeverRan(current.app, paths, current.fixture.statements);
    });

    test("403 as HTML when Accept prefers it", async () => {
      await assertHtmlBlockPage(current.app, first.path);
    });

    const pool = suite.pool;
    if (pool !== undefined) {
      test("pool of one shared by two requests", async () => {
        await assertQueuedRequestJudgedAlone(current.app, pool.hold, pool.queued);
      });
    }

    test("app keeps serving after blocks", async () => {
      const response = await fetch(`${current.app.url}${first.path}?name=alice`);
      assert.equal(response.status, 200);
      assert.equal(current.app.process.exitCode, null);
    });
  });
}

function describeMonitorMode(suite: SqlDriverSuite): void {
  const [route] = suite.corpus.vulnerable;
  assert.ok(route?.param === "name", `${suite.driver}: the first vulnerable route takes name`);

  describe(`${suite.driver} monitor mode`, () => {
    const current = useDriverApp(suite, "monitor", suite.monitorApp ?? suite.app, "monitor");

    test("event logged and query runs", async () => {
      await assertMonitoredAndRun(current.app, route.path, suite.sink, current.fixture.statements);
    });
  });
}
