// The agent and the OpenTelemetry Node SDK with its auto-instrumentations in one process, in each
// load order: the agent first, the SDK first, and the SDK through
// `--require @opentelemetry/auto-instrumentations-node/register` exporting OTLP/HTTP JSON to a
// loopback receiver. In each, http server and pg/mysql2 query spans exist once per call and SQL
// injection gets 403. The agent's event carries the request's trace id and is added to its span.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type AppOptions, type RunningApp } from "../helpers/app-process";
import * as mysqlServer from "../helpers/mysql-server";
import * as pgServer from "../helpers/pg-server";
import { startHttpReceiver, type HttpReceiver } from "../telemetry/receivers";
import { spansFromOtlp, spanStatement, spanStatus, type TestSpan } from "./spans";

const injection = encodeURIComponent("x' OR '1'='1");

interface LoadOrder {
  readonly name: string;
  readonly options: (receiverUrl: string) => Partial<AppOptions>;
  /** True when spans are exported over OTLP to the receiver, false when the app keeps them. */
  readonly otlp: boolean;
}

const loadOrders: LoadOrder[] = [
  {
    name: "agent first, then SDK",
    options: () => ({
      loader: "none",
      nodeArgs: ["--require", "rampart/register", "--require", "./otel-sdk.cjs"],
    }),
    otlp: false,
  },
  {
    name: "SDK first, then agent",
    options: () => ({ loader: "require", nodeArgs: ["--require", "./otel-sdk.cjs"] }),
    otlp: false,
  },
  {
    name: "auto-instrumentations register, then agent",
    options: (receiverUrl) => ({
      loader: "require",
      nodeArgs: ["--require", "@opentelemetry/auto-instrumentations-node/register"],
      env: {
        OTEL_SERVICE_NAME: "otel-coexistence-app",
        OTEL_TRACES_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiverUrl,
        OTEL_METRICS_EXPORTER: "none",
        OTEL_LOGS_EXPORTER: "none",
        OTEL_BSP_SCHEDULE_DELAY: "100",
        // The default detectors include cloud ones that query metadata addresses; traffic stays on loopback.
        OTEL_NODE_RESOURCE_DETECTORS: "none",
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: "fs,net,dns",
      },
    }),
    otlp: true,
  },
];

let pgDatabase: pgServer.FixtureDatabase;
let mysqlDatabase: mysqlServer.FixtureDatabase;

before(async () => {
  pgDatabase = await pgServer.createFixtureDatabase("otel");
  mysqlDatabase = await mysqlServer.createFixtureDatabase("otel");
});
after(async () => {
  await pgDatabase.drop();
  await mysqlDatabase.drop();
});

for (const order of loadOrders) {
  describe(order.name, () => {
    let receiver: HttpReceiver;
    let app: RunningApp;

    before(async () => {
      receiver = await startHttpReceiver();
      const options = order.options(receiver.url.replace(/\/hook$/, "/v1/traces"));
      app = await startApp({
        script: "otel-app.cjs",
        loader: "none",
        ...options,
        env: { ...pgDatabase.env, ...mysqlDatabase.env, RAMPART_OTEL: "true", ...options.env },
      });
    });
    after(async () => {
      await app.stop();
      await receiver.stop();
    });

    async function readSpans(): Promise<TestSpan[]> {
      if (order.otlp) return spansFromOtlp(receiver.bodies);
      const response = await fetch(`${app.url}/spans`);
      return (await response.json()) as TestSpan[];
    }

    /** Polls the spans until `found` returns a value, for up to 5 seconds. */
    async function waitForSpans<T>(found: (spans: TestSpan[]) => T | undefined): Promise<T> {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const spans = await readSpans();
        const result = found(spans);
        if (result !== undefined) return result;
        if (Date.now() > deadline) {
          const names = spans.map((span) => `${span.kind} ${span.name}`).join(", ");
          assert.fail(`expected spans not exported in time; spans: ${names}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    async function expectTracedQuery(route: string, name: string, system: string) {
      const response = await fetch(`${app.url}${route}?name=${name}`);
      assert.equal(response.status, 200);
      assert.deepEqual(
        ((await response.json()) as { name: string }[]).map((row) => row.name),
        [name],
      );

      const literal = `'${name}'`;
      const querySpans = await waitForSpans((spans) => {
        const matching = spans.filter((span) => spanStatement(span)?.includes(literal) === true);
        return matching.length > 0 ? matching : undefined;
      });
      // One span per query: a second one would mean the driver method was wrapped twice.
      assert.equal(querySpans.length, 1, querySpans.map((span) => span.name).join(", "));
      const [querySpan] = querySpans;
      assert.equal(querySpan!.kind, "client");
      assert.equal(
        querySpan!.attributes["db.system"] ?? querySpan!.attributes["db.system.name"],
        system,
      );

      const serverSpan = await waitForSpans((spans) =>
        spans.find((span) => span.kind === "server" && span.traceId === querySpan!.traceId),
      );
      assert.equal(spanStatus(serverSpan), 200);
    }

    async function expectBlockedAndTraced(route: string, sink: string) {
      const response = await fetch(`${app.url}${route}?name=${injection}`);
      assert.equal(response.status, 403);
      const { event_id: eventId } = (await response.json()) as { event_id: string };

      const event = await app.waitForEvent(eventId);
      assert.ok(event !== undefined, `event ${eventId} written`);
      assert.equal(event.sink, sink);
      assert.match(event.trace_id ?? "", /^[0-9a-f]{32}$/);

      const serverSpan = await waitForSpans((spans) =>
        spans.find((span) => span.kind === "server" && span.traceId === event.trace_id),
      );
      assert.equal(spanStatus(serverSpan), 403);

      const withEvent = await waitForSpans((spans) =>
        spans.find((span) =>
          span.events.some(
            (spanEvent) =>
              spanEvent.name === "rampart.security_event" &&
              spanEvent.attributes["rampart.event_id"] === eventId,
          ),
        ),
      );
      assert.equal(withEvent.traceId, event.trace_id);
    }

    test("benign pg query traced", async () => {
      await expectTracedQuery("/pg", "alice", "postgresql");
    });

    test("benign mysql2 query traced", async () => {
      await expectTracedQuery("/mysql", "bob", "mysql");
    });

    test("pg injection blocked with trace id", async () => {
      await expectBlockedAndTraced("/pg", "pg.query");
    });

    test("mysql2 injection blocked with trace id", async () => {
      await expectBlockedAndTraced("/mysql", "mysql2.query");
    });
  });
}
