import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import type { SecurityEvent } from "./app-process";
import type { RunningApp } from "./app-process";
import { withQuery } from "./http-client";

/**
 * A route of a fixture app that runs the /string query (`… WHERE name = '<name>'`) through one call
 * form of a driver. The apps record how each error reached them; GET /errors returns that record.
 */
export interface CallForm {
  readonly path: string;
  /** Expected `sink` of the event. */
  readonly sink: string;
  /** The driver's error path the app must see: "callback", "rejection", "error-event" or "throw". */
  readonly via: string;
  /** Name of the error that wraps the agent's, for libraries that wrap driver errors (sequelize). */
  readonly wrappedBy?: string;
}

/**
 * The statements a database server received or ran, as the server itself records them: PostgreSQL's
 * server log, MariaDB's general query log, or a SQLite app's trace file.
 */
export interface StatementLog {
  /**
   * Runs `send` and returns the text recorded meanwhile. `send` makes the server run a statement that
   * contains `control`, so the recorder may wait for it to appear.
   */
  record(send: () => Promise<void>, control: string): Promise<string>;
}

/** Breaks out of the string literal: must be blocked everywhere. */
export const stringAttack = "nobody' OR 'a'='a";

/** Code of the agent's RampartBlockedError. */
const blockedErrorCode = "RAMPART_ERR_BLOCKED";

interface RecordedError {
  via: string;
  sameTick: boolean;
  name: string;
  code?: string;
  causeName?: string;
  causeCode?: string;
}

/** Returns a name no other request uses, such as `rampart_marker_<12 hex digits>`. */
function uniqueMarker(kind: string): string {
  return `rampart_${kind}_${randomBytes(6).toString("hex")}`;
}

/** Waits up to 5 s for the event of the request sent with this `x-request-id`. */
async function waitForRequestEvent(
  app: RunningApp,
  requestId: string,
): Promise<SecurityEvent | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const event = app.events().find((candidate) => candidate.request.request_id === requestId);
    if (event !== undefined || Date.now() > deadline) return event;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Returns how the last error of `path` reached the app, as the fixture recorded it. */
export async function recordedError(
  app: RunningApp,
  path: string,
): Promise<RecordedError | undefined> {
  const response = await fetch(`${app.url}/errors`);
  const errors = (await response.json()) as Record<string, RecordedError>;
  return errors[path];
}

/**
 * Sends the attack to a call form and checks the 403, its event and the error path: the app received
 * a RampartBlockedError through the form's own path, and a callback never before the call returned.
 */
export async function assertBlockedForm(app: RunningApp, form: CallForm): Promise<void> {
  const requestId = uniqueMarker("request");
  const response = await fetch(`${app.url}${withQuery(form.path, [["name", stringAttack]])}`, {
    headers: { "x-request-id": requestId },
  });
  assert.equal(response.status, 403, `${form.path} answers 403`);

  const { event_id: eventId } = (await response.json()) as { event_id: string };
  const event = await app.waitForEvent(eventId);
  assert.ok(event !== undefined, `${form.path}: event ${eventId} written`);
  assert.equal(event.request.request_id, requestId, `${form.path}: event of this request`);
  assert.equal(event.sink, form.sink);
  assert.equal(event.action, "blocked");
  assert.equal(event.input.path, "query.name");

  const delivered = await recordedError(app, form.path);
  if (form.wrappedBy === undefined) {
    assert.equal(
      delivered?.name,
      "RampartBlockedError",
      `${form.path}: the app saw the agent's error`,
    );
    assert.equal(delivered?.code, blockedErrorCode, `${form.path}: error code`);
  } else {
    assert.equal(delivered?.name, form.wrappedBy, `${form.path}: the library's wrapper error`);
    assert.equal(
      delivered?.causeName,
      "RampartBlockedError",
      `${form.path}: wrapping the agent's error`,
    );
    assert.equal(delivered?.causeCode, blockedErrorCode, `${form.path}: wrapped error code`);
  }
  assert.equal(delivered?.via, form.via, `${form.path}: error path`);
  assert.equal(
    delivered?.sameTick,
    false,
    `${form.path}: callback not called before the call returned`,
  );
}

/**
 * Sends harmless names to a call form: bob's must run and return bob's row, a name that matches no
 * row must run too, and neither may raise an event.
 */
export async function assertAllowedForm(app: RunningApp, form: CallForm): Promise<void> {
  const eventsBefore = app.events().length;

  const response = await fetch(`${app.url}${withQuery(form.path, [["name", "bob"]])}`);
  assert.equal(response.status, 200, `${form.path} answers 200`);
  assert.match(await response.text(), /bob/, `${form.path} returns bob's row`);

  const miss = await fetch(`${app.url}${withQuery(form.path, [["name", uniqueMarker("miss")]])}`);
  assert.equal(miss.status, 200, `${form.path} answers 200 for a name without a row`);

  // The agent writes events shortly after the response: give a wrong one time to land.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(app.events().length, eventsBefore, `${form.path}: no event for harmless input`);
}

/** Sends the attack with `marker` in it to `path` and waits for the event of a 403. */
async function sendMarkedAttack(
  app: RunningApp,
  path: string,
  marker: string,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${app.url}${withQuery(path, [["name", `${marker}' OR 'a'='a`]])}`, {
    headers: { "x-request-id": marker },
  });
  const body = await response.text();
  if (response.status === 403) {
    await app.waitForEvent((JSON.parse(body) as { event_id: string }).event_id);
  }
  return { status: response.status, body };
}

/** An attack and a control request that `sendRecorded` sent to one path. */
interface RecordedExchange {
  readonly path: string;
  /** Unique name inside the attack, also its `x-request-id`. */
  readonly marker: string;
  readonly attack: { readonly status: number; readonly body: string };
  readonly control: string;
  readonly controlStatus: number;
}

/**
 * Sends, to each of `paths` in turn (routes that put `name` into a string literal), an attack carrying
 * a unique marker and then a harmless request with a unique control name, while `log` records the
 * server's statements. Returns the exchanges and the recorded text. When a control is missing from
 * the record, recording was off (another test file may have switched the MySQL general log off
 * meanwhile), and all requests are sent again, up to three times.
 */
async function sendRecorded(
  app: RunningApp,
  paths: readonly string[],
  log: StatementLog,
): Promise<{ exchanges: RecordedExchange[]; statements: string }> {
  let missing: RecordedExchange | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const exchanges: RecordedExchange[] = [];
    const lastControl = uniqueMarker("control");
    const statements = await log.record(async () => {
      for (const [index, path] of paths.entries()) {
        const marker = uniqueMarker("marker");
        const control = index === paths.length - 1 ? lastControl : uniqueMarker("control");
        const attack = await sendMarkedAttack(app, path, marker);
        const allowed = await fetch(`${app.url}${withQuery(path, [["name", control]])}`);
        exchanges.push({ path, marker, attack, control, controlStatus: allowed.status });
      }
    }, lastControl);

    missing = exchanges.find((exchange) => !statements.includes(exchange.control));
    if (missing === undefined) return { exchanges, statements };
  }
  assert.fail(`${missing?.path}: the server's statement log never recorded the control query`);
}

/**
 * Sends an attack and a control request to each of `paths` and reads the server's statement log: each
 * control statement is there, no blocked one is.
 */
export async function assertBlockedQueriesNeverRan(
  app: RunningApp,
  paths: readonly string[],
  log: StatementLog,
): Promise<void> {
  const { exchanges, statements } = await sendRecorded(app, paths, log);
  for (const exchange of exchanges) {
    assert.equal(exchange.attack.status, 403, `${exchange.path}: the attack is blocked`);
    assert.equal(exchange.controlStatus, 200, `${exchange.path}: the control query runs`);
    assert.ok(
      !statements.includes(exchange.marker),
      `${exchange.path}: the server's statement log contains no blocked statement`,
    );
  }
}

/**
 * Checks that a request waiting in a pool's queue is judged against its own inputs. `holdPath` keeps
 * the pool's only connection for a while, and two requests to `queuedPath` wait for it. The pool hands
 * the connection over from the holding request's release, in that request's async context.
 */
export async function assertQueuedRequestJudgedAlone(
  app: RunningApp,
  holdPath: string,
  queuedPath: string,
): Promise<void> {
  const hold = fetch(`${app.url}${holdPath}`);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const attack = `${stringAttack} -- queued`;
  const [holdResponse, attackResponse, benignResponse] = await Promise.all([
    hold,
    fetch(`${app.url}${withQuery(queuedPath, [["name", attack]])}`),
    fetch(`${app.url}${withQuery(queuedPath, [["name", "carol"]])}`),
  ]);

  assert.equal(holdResponse.status, 200, "the holding request succeeds");
  assert.equal(attackResponse.status, 403, "the queued attack is blocked");
  assert.equal(benignResponse.status, 200, "the queued harmless request runs");

  const { event_id: eventId } = (await attackResponse.json()) as { event_id: string };
  const event = await app.waitForEvent(eventId);
  assert.equal(event?.input.value, attack, "judged against its own request's input");
  assert.equal(event?.request.path, queuedPath);
}

/** Sends the attack with a browser's Accept header: the 403 is an HTML page naming the event id. */
export async function assertHtmlBlockPage(app: RunningApp, path: string): Promise<void> {
  const requestId = uniqueMarker("request");
  const response = await fetch(`${app.url}${withQuery(path, [["name", stringAttack]])}`, {
    headers: { accept: "text/html,application/xhtml+xml", "x-request-id": requestId },
  });
  assert.equal(response.status, 403);
  assert.match(response.headers.get("content-type") ?? "", /text\/html/);
  const page = await response.text();
  assert.match(page, /<h1>403 Forbidden<\/h1>/);

  const event = await waitForRequestEvent(app, requestId);
  assert.ok(event !== undefined, "event for the request");
  assert.ok(page.includes(event.event_id), "the page names the event id");
}

/**
 * Sends the attack to an app in monitor mode: the query runs (the injected `OR 'a'='a` returns all
 * four fixture rows), the server's statement log contains it, and a monitored event names the sink.
 */
export async function assertMonitoredAndRun(
  app: RunningApp,
  path: string,
  sink: string,
  log: StatementLog,
): Promise<void> {
  const { exchanges, statements } = await sendRecorded(app, [path], log);
  const [exchange] = exchanges;
  assert.ok(exchange !== undefined);
  assert.equal(exchange.attack.status, 200, exchange.attack.body);
  const { rows } = JSON.parse(exchange.attack.body) as { rows: unknown[] };
  assert.equal(rows.length, 4, "the injected condition matched every row");
  assert.equal(exchange.controlStatus, 200, "the control query runs");
  assert.ok(statements.includes(`${exchange.marker}' OR`), "the server received the query");

  const event = await waitForRequestEvent(app, exchange.marker);
  assert.ok(event !== undefined, "event for the request");
  assert.equal(event.action, "monitored");
  assert.equal(event.sink, sink);
  assert.equal(event.input.path, "query.name");
}
