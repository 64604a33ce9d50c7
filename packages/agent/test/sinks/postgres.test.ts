import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { corpusSkipReason } from "../helpers/corpus";
import { HttpClient, withQuery } from "../helpers/http-client";
import {
  adminQuery,
  createFixtureDatabase,
  fixtureNames,
  postgresqlCorpusRoutes,
  postgresqlSafeRoutes,
  ServerLogReader,
  uniqueName,
  type FixtureDatabase,
} from "../helpers/pg-server";
import { assertNoMismatches, corpusPayloads, runSqlCorpus } from "../helpers/sql-corpus";

const skip = corpusSkipReason();

// postgres has no function that escapes a string literal, so its apps have no /escaped route.
const safeRoutes = postgresqlSafeRoutes.filter((route) => route.path !== "/escaped");

describe("postgres corpus", { skip }, () => {
  let database: FixtureDatabase;
  before(async () => {
    database = await createFixtureDatabase("postgres_corpus");
  });
  after(() => database?.drop());

  test("sqli corpus, block mode, ESM", async () => {
    const app = await startApp({
      script: "postgres-app.mjs",
      loader: "import",
      mode: "block",
      env: database.env,
    });
    try {
      const report = await runSqlCorpus({
        app,
        routes: [...postgresqlCorpusRoutes, ...safeRoutes.slice(0, 1)],
        payloads: corpusPayloads("sqli"),
        mode: "block",
        sink: "postgres.unsafe",
        label: "postgres sqli, postgres-app.mjs",
      });
      assertNoMismatches(report);
      assert.ok(
        report.counts.every((count) => count.route === "/param" || count.breaking > 0),
        "every vulnerable route saw breaking payloads",
      );
    } finally {
      await app.stop();
    }
  });

  test("sqli corpus, monitor mode", async () => {
    const app = await startApp({
      script: "postgres-app.mjs",
      loader: "import",
      mode: "monitor",
      env: database.env,
    });
    try {
      const report = await runSqlCorpus({
        app,
        routes: postgresqlCorpusRoutes,
        payloads: corpusPayloads("sqli"),
        mode: "monitor",
        onlyBreaking: true,
        sink: "postgres.unsafe",
        label: "postgres sqli, postgres-app.mjs",
      });
      assertNoMismatches(report);
    } finally {
      await app.stop();
    }
  });

  test("CommonJS app, sample of the corpus", async () => {
    const app = await startApp({
      script: "postgres-app.cjs",
      loader: "require",
      mode: "block",
      env: database.env,
    });
    try {
      // Every 10th payload keeps this run short; the ESM app gets the whole corpus above.
      const payloads = corpusPayloads("sqli").filter((_payload, index) => index % 10 === 0);
      const report = await runSqlCorpus({
        app,
        routes: [...postgresqlCorpusRoutes, ...safeRoutes],
        payloads,
        mode: "block",
        sink: "postgres.unsafe",
        label: "postgres sqli sample, postgres-app.cjs",
      });
      assertNoMismatches(report);
      assert.ok(
        report.counts.some((count) => count.caught > 0),
        "the CommonJS app blocked payloads",
      );
    } finally {
      await app.stop();
    }
  });

  test("benign corpus on safe routes", async () => {
    const app = await startApp({
      script: "postgres-app.mjs",
      loader: "import",
      mode: "block",
      env: database.env,
    });
    try {
      const report = await runSqlCorpus({
        app,
        routes: safeRoutes,
        payloads: corpusPayloads("benign"),
        mode: "block",
        sink: "postgres.unsafe",
        label: "postgres benign",
      });
      assertNoMismatches(report);
      assert.equal(app.events().length, 0, "no events at all");
    } finally {
      await app.stop();
    }
  });
});

/** postgres APIs (see postgres-forms.mjs) and the sink each reports. All reject the query's promise. */
const callForms = [
  { route: "/unsafe", sink: "postgres.unsafe" },
  { route: "/unsafe-values", sink: "postgres.unsafe" },
  { route: "/unsafe-simple", sink: "postgres.unsafe" },
  { route: "/unsafe-values-rows", sink: "postgres.unsafe" },
  { route: "/unsafe-execute", sink: "postgres.unsafe" },
  { route: "/tagged-fragment", sink: "postgres.sql" },
  { route: "/begin", sink: "postgres.unsafe" },
  { route: "/begin-savepoint", sink: "postgres.unsafe" },
  { route: "/reserve", sink: "postgres.unsafe" },
  { route: "/cursor", sink: "postgres.unsafe" },
  { route: "/for-each", sink: "postgres.unsafe" },
] as const;

describe("postgres call forms", () => {
  let database: FixtureDatabase;
  let app: RunningApp;
  let client: HttpClient;
  let serverLog: ServerLogReader;
  const marker = uniqueName("marker");

  before(async () => {
    database = await createFixtureDatabase("postgresforms");
    await adminQuery(`ALTER ROLE ${database.role} SET log_statement = 'all'`);
    serverLog = new ServerLogReader();
    app = await startApp({
      script: "postgres-forms.mjs",
      loader: "import",
      mode: "block",
      env: database.env,
    });
    client = new HttpClient(app.url, 1);
  });
  after(async () => {
    client?.close();
    await app?.stop();
    await database?.drop();
  });

  for (const [index, form] of callForms.entries()) {
    test(`${form.route} rejects when blocked`, async () => {
      const attack = `${marker}_blocked_${index}' OR '1'='1`;
      const requestId = `form-${index}`;
      const response = await client.get(withQuery(form.route, [["name", attack]]), {
        "x-request-id": requestId,
      });
      assert.equal(response.status, 403, response.body);

      const events = await app.waitForEvents(index + 1);
      const event = events.find((candidate) => candidate.request.request_id === requestId);
      assert.ok(event !== undefined, "event for the request");
      assert.equal(event.sink, form.sink);
      assert.equal(event.input.path, "query.name");
      assert.equal(event.action, "blocked");
      assert.equal((JSON.parse(response.body) as { event_id: string }).event_id, event.event_id);

      const deliveries = JSON.parse((await client.get("/deliveries")).body) as Record<
        string,
        { via: string; code: string }
      >;
      assert.equal(deliveries[form.route]?.via, "rejection", "the query's promise rejected");
      assert.equal(deliveries[form.route]?.code, "RAMPART_ERR_BLOCKED");
    });

    test(`${form.route} runs benign queries`, async () => {
      const before = app.events().length;
      const response = await client.get(withQuery(form.route, [["name", "alice"]]));
      assert.equal(response.status, 200, response.body);
      assert.match(response.body, /alice/);

      const miss = await client.get(
        withQuery(form.route, [["name", `${marker}_allowed_${index}`]]),
      );
      assert.equal(miss.status, 200, miss.body);
      assert.equal(app.events().length, before, "no event for benign input");
    });
  }

  test("server never saw a blocked query", async () => {
    const lastAllowed = `${marker}_allowed_${callForms.length - 1}`;
    assert.ok(
      await serverLog.waitFor(lastAllowed),
      "statement logging records the allowed queries",
    );

    const log = serverLog.readSinceStart();
    for (const index of callForms.keys()) {
      assert.ok(
        log.includes(`${marker}_allowed_${index}'`),
        `allowed query of ${callForms[index]?.route} logged`,
      );
      assert.ok(
        !log.includes(`${marker}_blocked_${index}`),
        `blocked query of ${callForms[index]?.route} absent`,
      );
    }
    assert.equal(app.process.exitCode, null, "the app is still running");
  });
});

describe("postgres with one connection", () => {
  let database: FixtureDatabase;
  let app: RunningApp;
  let client: HttpClient;
  const attack = "nobody' OR '1'='1";

  before(async () => {
    database = await createFixtureDatabase("postgrespool");
    app = await startApp({
      script: "postgres-pool.cjs",
      loader: "require",
      mode: "block",
      env: database.env,
    });
    client = new HttpClient(app.url);
  });
  after(async () => {
    client?.close();
    await app?.stop();
    await database?.drop();
  });

  /** Sends /hold, then `path` while /hold's transaction keeps the only connection. */
  async function sendBehindHold(path: string, requestId: string, holdQuery = "") {
    const started = Date.now();
    const hold = client.get(`/hold?ms=300&note=benign${holdQuery}`, {
      "x-request-id": `${requestId}-hold`,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiting = client.get(path, { "x-request-id": requestId });
    const [holdResponse, waitingResponse] = await Promise.all([hold, waiting]);
    return { holdResponse, waitingResponse, waitedMs: Date.now() - started };
  }

  // First in this suite on purpose: /hold opens the connection, so the connection's socket callbacks,
  // which build every queued query, run in the context of a request whose input is the job's value.
  test("background job queued behind a request is not judged", async () => {
    const { holdResponse } = await sendBehindHold(
      "/unsafe?name=alice",
      "job",
      `&job=${encodeURIComponent(attack)}`,
    );
    assert.equal(holdResponse.status, 200, "the request is not blocked for the job's query");

    let outcome: { rowCount?: number; error?: string } | null = null;
    for (let attempt = 0; attempt < 50 && outcome === null; attempt++) {
      outcome = JSON.parse((await client.get("/job-outcome")).body).rows;
      if (outcome === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(outcome, { rowCount: fixtureNames.length }, "the job's query ran");
    assert.equal(app.events().length, 0, "no event for a query outside any request");
  });

  for (const route of ["/unsafe", "/tagged-fragment", "/begin", "/reserve"]) {
    test(`${route} judged for its own request`, async () => {
      const requestId = `waiting${route.replace("/", "-")}`;
      const eventsBefore = app.events().length;
      const { holdResponse, waitingResponse, waitedMs } = await sendBehindHold(
        withQuery(route, [["name", attack]]),
        requestId,
      );
      assert.equal(holdResponse.status, 200, holdResponse.body);
      assert.equal(waitingResponse.status, 403, waitingResponse.body);
      assert.ok(waitedMs >= 300, `the request waited for the connection (${waitedMs} ms)`);

      const events = await app.waitForEvents(eventsBefore + 1);
      const own = events.filter((event) => event.request.request_id === requestId);
      assert.equal(own.length, 1, "one event for the waiting request");
      assert.equal(own[0]?.input.path, "query.name");
      assert.equal(
        events.filter((event) => event.request.request_id === `${requestId}-hold`).length,
        0,
      );
    });
  }

  test("waiting benign request passes", async () => {
    const before = app.events().length;
    const { holdResponse, waitingResponse } = await sendBehindHold(
      "/unsafe?name=alice",
      "waiting-benign",
    );
    assert.equal(holdResponse.status, 200);
    assert.equal(waitingResponse.status, 200, waitingResponse.body);
    assert.match(waitingResponse.body, /alice/);
    assert.equal(app.events().length, before);
  });
});

describe("postgres monitor mode", () => {
  let database: FixtureDatabase;
  const marker = uniqueName("marker");

  before(async () => {
    database = await createFixtureDatabase("postgresmonitor");
    await adminQuery(`ALTER ROLE ${database.role} SET log_statement = 'all'`);
  });
  after(() => database?.drop());

  test("monitor mode logs and runs the query", async () => {
    const serverLog = new ServerLogReader();
    const app = await startApp({
      script: "postgres-app.cjs",
      loader: "require",
      mode: "monitor",
      env: database.env,
    });
    const client = new HttpClient(app.url);
    try {
      const response = await client.get(withQuery("/string", [["name", `${marker}' OR '1'='1`]]));
      assert.equal(response.status, 200, response.body);
      assert.equal(
        (JSON.parse(response.body) as { rows: unknown[] }).rows.length,
        fixtureNames.length,
        "the injected condition ran",
      );

      const [event] = await app.waitForEvents(1);
      assert.equal(event?.action, "monitored");
      assert.equal(event?.sink, "postgres.unsafe");
      assert.ok(await serverLog.waitFor(`${marker}' OR`), "the server received the query");
    } finally {
      client.close();
      await app.stop();
    }
  });
});
