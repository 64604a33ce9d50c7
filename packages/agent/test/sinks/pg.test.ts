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

describe("pg corpus", { skip }, () => {
  let database: FixtureDatabase;
  before(async () => {
    database = await createFixtureDatabase("pg_corpus");
  });
  after(() => database?.drop());

  test("sqli corpus, block mode, CommonJS", async () => {
    const app = await startApp({
      script: "pg-app.cjs",
      loader: "require",
      mode: "block",
      env: database.env,
    });
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
      script: "pg-app.cjs",
      loader: "require",
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
        sink: "pg.query",
        label: "pg sqli, pg-app.cjs",
      });
      assertNoMismatches(report);
    } finally {
      await app.stop();
    }
  });

  test("ESM app, sample of the corpus", async () => {
    const app = await startApp({
      script: "pg-app.mjs",
      loader: "import",
      mode: "block",
      env: database.env,
    });
    try {
      // Every 10th payload keeps this run short; the CommonJS app gets the whole corpus above.
      const payloads = corpusPayloads("sqli").filter((_payload, index) => index % 10 === 0);
      const report = await runSqlCorpus({
        app,
        routes: [...postgresqlCorpusRoutes, ...postgresqlSafeRoutes],
        payloads,
        mode: "block",
        sink: "pg.query",
        label: "pg sqli sample, pg-app.mjs",
      });
      assertNoMismatches(report);
      assert.ok(
        report.counts.some((count) => count.caught > 0),
        "the ESM app blocked payloads",
      );
    } finally {
      await app.stop();
    }
  });

  test("benign corpus on safe routes", async () => {
    const app = await startApp({
      script: "pg-app.cjs",
      loader: "require",
      mode: "block",
      env: database.env,
    });
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

/** pg call forms: how each route's blocked query must reach the app (see pg-forms.cjs). */
const callForms = [
  { route: "/client-callback", via: "callback" },
  { route: "/client-values-callback", via: "callback" },
  { route: "/client-promise", via: "rejection" },
  { route: "/config-object", via: "rejection" },
  { route: "/config-callback", via: "callback" },
  { route: "/named-statement", via: "rejection" },
  { route: "/query-object-events", via: "error-event" },
  { route: "/query-object-callback", via: "callback" },
  { route: "/custom-submittable", via: "callback" },
  { route: "/cursor-stream", via: "error-event" },
  { route: "/pool-promise", via: "rejection" },
  { route: "/pool-callback", via: "callback" },
  { route: "/pool-connect-callback", via: "callback" },
  { route: "/pool-connect-promise", via: "rejection" },
] as const;

describe("pg call forms", () => {
  let database: FixtureDatabase;
  let app: RunningApp;
  let client: HttpClient;
  let serverLog: ServerLogReader;
  const marker = uniqueName("marker");

  before(async () => {
    database = await createFixtureDatabase("pgforms");
    await adminQuery(`ALTER ROLE ${database.role} SET log_statement = 'all'`);
    serverLog = new ServerLogReader();
    app = await startApp({
      script: "pg-forms.cjs",
      loader: "require",
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
    test(`${form.route} blocks via ${form.via}`, async () => {
      const attack = `${marker}_blocked_${index}' OR '1'='1`;
      const requestId = `form-${index}`;
      const response = await client.get(withQuery(form.route, [["name", attack]]), {
        "x-request-id": requestId,
      });
      assert.equal(response.status, 403, response.body);

      const events = await app.waitForEvents(index + 1);
      const event = events.find((candidate) => candidate.request.request_id === requestId);
      assert.ok(event !== undefined, "event for the request");
      assert.equal(event.sink, "pg.query");
      assert.equal(event.input.path, "query.name");
      assert.equal(event.action, "blocked");
      assert.equal((JSON.parse(response.body) as { event_id: string }).event_id, event.event_id);

      const deliveries = JSON.parse((await client.get("/deliveries")).body) as Record<
        string,
        { via: string; code: string }
      >;
      assert.equal(deliveries[form.route]?.via, form.via, "how the error reached the app");
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
  });
});

describe("pg pool of one client", () => {
  let database: FixtureDatabase;
  let app: RunningApp;
  let client: HttpClient;
  const attack = "nobody' OR '1'='1";

  before(async () => {
    database = await createFixtureDatabase("pgpool");
    app = await startApp({
      script: "pg-pool.cjs",
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

  /** Sends /hold, then `path` while /hold keeps the only client; returns both responses and timings. */
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

  for (const route of ["/connect-callback", "/connect-promise", "/pool-query"]) {
    test(`${route} judged for its own request`, async () => {
      const requestId = `waiting${route.replace("/", "-")}`;
      const eventsBefore = app.events().length;
      const { holdResponse, waitingResponse, waitedMs } = await sendBehindHold(
        withQuery(route, [["name", attack]]),
        requestId,
      );
      assert.equal(holdResponse.status, 200, holdResponse.body);
      assert.equal(waitingResponse.status, 403, waitingResponse.body);
      assert.ok(waitedMs >= 300, `the request waited for the held client (${waitedMs} ms)`);

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
      "/pool-query?name=alice",
      "waiting-benign",
    );
    assert.equal(holdResponse.status, 200);
    assert.equal(waitingResponse.status, 200, waitingResponse.body);
    assert.match(waitingResponse.body, /alice/);
    assert.equal(app.events().length, before);
  });

  test("nested callback judged for its own request", async () => {
    // /hold opens the pooled connection, so its socket callbacks run in /hold's context.
    assert.equal((await client.get("/hold?ms=1")).status, 200);

    const eventsBefore = app.events().length;
    const response = await client.get(withQuery("/nested-callback", [["name", attack]]), {
      "x-request-id": "nested",
    });
    assert.equal(response.status, 403, response.body);
    const events = await app.waitForEvents(eventsBefore + 1);
    assert.ok(
      events.some(
        (event) => event.request.request_id === "nested" && event.input.path === "query.name",
      ),
    );
  });

  test("background job queued behind a request is not judged", async () => {
    const before = app.events().length;
    const { holdResponse } = await sendBehindHold(
      "/pool-query?name=alice",
      "job",
      `&job=${encodeURIComponent(attack)}`,
    );
    assert.equal(
      holdResponse.status,
      200,
      "the releasing request is not blocked for the job's query",
    );

    let outcome: { rowCount?: number; error?: string } | null = null;
    for (let attempt = 0; attempt < 50 && outcome === null; attempt++) {
      outcome = JSON.parse((await client.get("/job-outcome")).body).rows;
      if (outcome === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(outcome, { rowCount: fixtureNames.length }, "the job's query ran");
    assert.equal(app.events().length, before, "no event for a query outside any request");
  });
});

describe("pg responses and modes", () => {
  let database: FixtureDatabase;
  let serverLog: ServerLogReader;
  const marker = uniqueName("marker");

  before(async () => {
    database = await createFixtureDatabase("pgmodes");
    await adminQuery(`ALTER ROLE ${database.role} SET log_statement = 'all'`);
    serverLog = new ServerLogReader();
  });
  after(() => database?.drop());

  test("HTML block page for browsers", async () => {
    const app = await startApp({
      script: "pg-app.cjs",
      loader: "require",
      mode: "block",
      env: database.env,
    });
    const client = new HttpClient(app.url);
    try {
      const response = await client.get(withQuery("/string", [["name", "x' OR '1'='1"]]), {
        accept: "text/html,application/xhtml+xml",
      });
      assert.equal(response.status, 403);
      assert.match(String(response.headers["content-type"]), /text\/html/);

      const [event] = await app.waitForEvents(1);
      assert.ok(event !== undefined);
      assert.ok(response.body.includes(event.event_id), "the page names the event id");
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("monitor mode logs and runs the query", async () => {
    const app = await startApp({
      script: "pg-app.cjs",
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
      assert.equal(event?.sink, "pg.query");
      assert.ok(await serverLog.waitFor(`${marker}' OR`), "the server received the query");
    } finally {
      client.close();
      await app.stop();
    }
  });
});
