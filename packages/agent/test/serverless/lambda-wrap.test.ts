import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { fixturesDir, type SecurityEvent } from "../helpers/app-process";
import { albEvent, clientIp, httpApiEvent, restApiEvent, sqsEvent } from "./events";

interface Invocation {
  readonly handler: "handler" | "callbackHandler";
  readonly event: Record<string, unknown>;
}

interface Outcome {
  readonly result?: {
    statusCode?: number;
    statusDescription?: string;
    headers?: Record<string, string>;
    multiValueHeaders?: Record<string, string[]>;
    body?: string;
    isBase64Encoded?: boolean;
    processed?: number;
  };
  readonly error?: { name: string; message: string };
  /** Every line of the events file, read synchronously the moment the invocation settled. */
  readonly events: SecurityEvent[];
}

const workDir = mkdtempSync(path.join(tmpdir(), "rampart-lambda-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs the invocations in order in one fresh Node.js process, with the agent in `mode`. */
function invokeAll(name: string, mode: string, invocations: Invocation[]): Promise<Outcome[]> {
  const file = path.join(workDir, `${name}.json`);
  writeFileSync(file, JSON.stringify(invocations));
  const env = {
    ...process.env,
    NODE_OPTIONS: "",
    RAMPART_MODE: mode,
    RAMPART_EVENTS: path.join(workDir, `${name}-events.jsonl`),
    RAMPART_SNAPSHOT_DIR: path.join(workDir, `${name}-snapshots`),
    RAMPART_LOG_LEVEL: "warn",
  };

  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(fixturesDir, "lambda-invoke.cjs"), file],
      { cwd: fixturesDir, env, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}\nstderr:\n${stderr}`));
        else resolve(JSON.parse(stdout) as Outcome[]);
      },
    );
  });
}

const attack = "x' OR '1'='1";
const benignRows = JSON.stringify([{ id: 1, name: "apple" }]);

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** Returns the blocked-request event named by a 403 result, from the events read at resolve time. */
function blockedEvent(outcome: Outcome): SecurityEvent {
  const body = JSON.parse(outcome.result?.body ?? "{}") as { event_id?: string };
  assert.ok(body.event_id, `403 body names no event id: ${outcome.result?.body}`);
  const event = outcome.events.find((candidate) => candidate.event_id === body.event_id);
  assert.ok(event, `event ${body.event_id} was not written when the invocation resolved`);
  return event;
}

describe("wrap in block mode", () => {
  const cases: Array<{ name: string; invocation: Invocation }> = [
    {
      name: "rest query",
      invocation: {
        handler: "handler",
        event: restApiEvent({ path: "/items/query", query: { name: [attack] } }),
      },
    },
    {
      name: "rest multi-value query",
      invocation: {
        handler: "handler",
        event: restApiEvent({ path: "/items/query", query: { name: ["apple", attack] } }),
      },
    },
    {
      name: "rest path parameter",
      invocation: {
        handler: "handler",
        event: restApiEvent({
          path: "/items/1%20OR%201%3D1",
          resource: "/items/{id}",
          pathParameters: { id: attack },
        }),
      },
    },
    {
      name: "rest cookie header",
      invocation: {
        handler: "handler",
        event: restApiEvent({
          path: "/items/cookie",
          headers: { Cookie: [`theme=dark; name=${encodeURIComponent(attack)}`] },
        }),
      },
    },
    {
      name: "http api base64 json body",
      invocation: {
        handler: "handler",
        event: httpApiEvent({
          method: "POST",
          path: "/items/body",
          route: "/items/body",
          headers: { "content-type": "application/json" },
          body: base64(JSON.stringify({ name: attack })),
          isBase64Encoded: true,
        }),
      },
    },
    {
      name: "http api path parameter",
      invocation: {
        handler: "handler",
        event: httpApiEvent({
          path: `/items/${encodeURIComponent(attack)}`,
          route: "/items/{id}",
          pathParameters: { id: attack },
        }),
      },
    },
    {
      name: "http api cookies array",
      invocation: {
        handler: "handler",
        event: httpApiEvent({ path: "/items/cookie", cookies: ["theme=dark", `name=${attack}`] }),
      },
    },
    {
      name: "http api query",
      invocation: {
        handler: "handler",
        event: httpApiEvent({
          path: "/items/query",
          rawQueryString: `page=1&name=${encodeURIComponent(attack)}`,
        }),
      },
    },
    {
      name: "alb multi-value header",
      invocation: {
        handler: "handler",
        event: albEvent({
          path: "/items/header",
          headers: { "x-name": ["apple", attack] },
          multiValue: true,
        }),
      },
    },
    {
      name: "alb form body",
      invocation: {
        handler: "handler",
        event: albEvent({
          method: "POST",
          path: "/items/body",
          headers: { "content-type": ["application/x-www-form-urlencoded"] },
          body: `page=1&name=${encodeURIComponent(attack)}`,
          multiValue: false,
        }),
      },
    },
    {
      name: "alb encoded query",
      invocation: {
        handler: "handler",
        event: albEvent({
          path: "/items/query",
          query: { name: [encodeURIComponent(attack)] },
          multiValue: false,
        }),
      },
    },
    {
      name: "shell through child_process",
      invocation: {
        handler: "handler",
        event: httpApiEvent({ path: "/shell", rawQueryString: "name=a%3Bid" }),
      },
    },
    {
      name: "callback handler",
      invocation: {
        handler: "callbackHandler",
        event: restApiEvent({ path: "/items/query", query: { name: [attack] } }),
      },
    },
    {
      name: "handler that catches the block",
      invocation: {
        handler: "handler",
        event: restApiEvent({ path: "/caught", query: { name: [attack] } }),
      },
    },
  ];

  const benign: Array<{ name: string; invocation: Invocation }> = [
    {
      name: "rest query",
      invocation: {
        handler: "handler",
        event: restApiEvent({ path: "/items/query", query: { name: ["apple"] } }),
      },
    },
    {
      name: "http api base64 json body",
      invocation: {
        handler: "handler",
        event: httpApiEvent({
          method: "POST",
          path: "/items/body",
          headers: { "content-type": "application/json" },
          body: base64(JSON.stringify({ name: "apple" })),
          isBase64Encoded: true,
        }),
      },
    },
    {
      name: "alb multi-value header",
      invocation: {
        handler: "handler",
        event: albEvent({
          path: "/items/header",
          headers: { "x-name": ["apple"] },
          multiValue: true,
        }),
      },
    },
    {
      name: "callback handler",
      invocation: {
        handler: "callbackHandler",
        event: httpApiEvent({ path: "/items/cookie", cookies: ["name=apple"] }),
      },
    },
  ];

  const passThrough: Invocation[] = [
    { handler: "handler", event: sqsEvent(attack) },
    { handler: "handler", event: restApiEvent({ path: "/fail" }) },
  ];

  let attacks: Outcome[];
  let benignOutcomes: Outcome[];
  let passThroughOutcomes: Outcome[];

  before(async () => {
    const outcomes = await invokeAll("block", "block", [
      ...cases.map((item) => item.invocation),
      ...benign.map((item) => item.invocation),
      ...passThrough,
    ]);
    attacks = outcomes.slice(0, cases.length);
    benignOutcomes = outcomes.slice(cases.length, cases.length + benign.length);
    passThroughOutcomes = outcomes.slice(cases.length + benign.length);
  });

  const expectedPaths: Record<string, [string, string]> = {
    "rest query": ["sql_injection", "query.name"],
    "rest multi-value query": ["sql_injection", "query.name"],
    "rest path parameter": ["sql_injection", "path.id"],
    "rest cookie header": ["sql_injection", "cookies.name"],
    "http api base64 json body": ["sql_injection", "body.name"],
    "http api path parameter": ["sql_injection", "path.id"],
    "http api cookies array": ["sql_injection", "cookies.name"],
    "http api query": ["sql_injection", "query.name"],
    "alb multi-value header": ["sql_injection", "headers.x-name"],
    "alb form body": ["sql_injection", "body.name"],
    "alb encoded query": ["sql_injection", "query.name"],
    "shell through child_process": ["shell_injection", "query.name"],
    "callback handler": ["sql_injection", "query.name"],
    "handler that catches the block": ["sql_injection", "query.name"],
  };

  cases.forEach(({ name }, index) => {
    test(`attack blocked: ${name}`, () => {
      const outcome = attacks[index] as Outcome;
      assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
      assert.equal(outcome.result?.statusCode, 403, JSON.stringify(outcome.result));
      assert.equal(outcome.result?.isBase64Encoded, false);

      const event = blockedEvent(outcome);
      const [attackType, inputPath] = expectedPaths[name] as [string, string];
      assert.equal(event.attack_type, attackType);
      assert.equal(event.action, "blocked");
      assert.equal(event.input.path, inputPath);
      assert.equal(event.request.client_ip, clientIp);
    });
  });

  test("403 shape per integration", () => {
    const rest = attacks[0]?.result;
    assert.deepEqual(rest?.headers, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
    });
    assert.equal(rest?.statusDescription, undefined);
    assert.deepEqual(Object.keys(JSON.parse(rest?.body ?? "{}")).sort(), [
      "error",
      "event_id",
      "message",
    ]);

    const albMulti = attacks[8]?.result;
    assert.equal(albMulti?.statusDescription, "403 Forbidden");
    assert.equal(albMulti?.headers, undefined);
    assert.deepEqual(albMulti?.multiValueHeaders?.["content-type"], [
      "application/json; charset=utf-8",
    ]);

    const albSingle = attacks[9]?.result;
    assert.equal(albSingle?.statusDescription, "403 Forbidden");
    assert.equal(albSingle?.headers?.["content-type"], "application/json; charset=utf-8");
    assert.equal(albSingle?.multiValueHeaders, undefined);
  });

  test("event names method, path and route", () => {
    const event = blockedEvent(attacks[5] as Outcome);
    assert.equal(event.request.method, "GET");
    assert.equal(event.request.route, "/items/{id}");
    assert.equal(event.request.path, `/items/${encodeURIComponent(attack)}`);
  });

  benign.forEach(({ name }, index) => {
    test(`benign passes: ${name}`, () => {
      const outcome = benignOutcomes[index] as Outcome;
      assert.deepEqual(outcome.result, {
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: benignRows,
      });
      const before = index === 0 ? attacks.at(-1) : benignOutcomes[index - 1];
      assert.equal(
        outcome.events.length,
        before?.events.length,
        "a benign request logged an event",
      );
    });
  });

  test("sqs event runs without request context", () => {
    const outcome = passThroughOutcomes[0] as Outcome;
    assert.deepEqual(outcome.result, { processed: 2, text: attack });
    assert.equal(outcome.events.length, benignOutcomes.at(-1)?.events.length);
  });

  test("handler error rejects unchanged", () => {
    const outcome = passThroughOutcomes[1] as Outcome;
    assert.deepEqual(outcome.error, { name: "Error", message: "handler failure" });
    assert.equal(outcome.result, undefined);
  });
});

describe("wrap in monitor mode", () => {
  test("attack runs and is logged by resolve time", async () => {
    const [outcome] = await invokeAll("monitor", "monitor", [
      {
        handler: "handler",
        event: httpApiEvent({
          path: "/items/query",
          rawQueryString: `name=${encodeURIComponent(attack)}`,
        }),
      },
    ]);
    assert.equal(outcome?.result?.statusCode, 200);
    assert.deepEqual(JSON.parse(outcome?.result?.body ?? "[]"), [
      { id: 1, name: "apple" },
      { id: 2, name: "pear" },
    ]);
    assert.equal(outcome?.events.length, 1);
    assert.equal(outcome?.events[0]?.action, "monitored");
    assert.equal(outcome?.events[0]?.input.path, "query.name");
  });
});

describe("rampart/lambda as an ES module", () => {
  test("import wrap and block", async () => {
    const script = [
      'import { wrap } from "rampart/lambda";',
      'import { execSync } from "node:child_process";',
      "const handler = wrap(async (event) => ({ statusCode: 200, body: execSync(`echo ${event.queryStringParameters.name}`, { encoding: 'utf8' }) }));",
      `const event = ${JSON.stringify(httpApiEvent({ path: "/shell", rawQueryString: "name=a%3Bid" }))};`,
      "const result = await handler(event, {});",
      "process.stdout.write(String(result.statusCode));",
    ].join("\n");
    const status = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        {
          cwd: fixturesDir,
          env: {
            ...process.env,
            NODE_OPTIONS: "",
            RAMPART_MODE: "block",
            RAMPART_EVENTS: path.join(workDir, "esm-events.jsonl"),
            RAMPART_SNAPSHOTS: "off",
          },
        },
        (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(stderr))),
      );
    });
    assert.equal(status, "403");
  });
});
