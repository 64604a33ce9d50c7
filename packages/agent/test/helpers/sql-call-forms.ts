import assert from "node:assert/strict";

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

/** Breaks out of the string literal: must be blocked everywhere. */
export const stringAttack = "nobody' OR 'a'='a";

interface RecordedError {
  via: string;
  sameTick: boolean;
  name: string;
  causeName?: string;
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
  const response = await fetch(`${app.url}${withQuery(form.path, [["name", stringAttack]])}`);
  assert.equal(response.status, 403, `${form.path} answers 403`);

  const { event_id: eventId } = (await response.json()) as { event_id: string };
  const event = await app.waitForEvent(eventId);
  assert.ok(event !== undefined, `${form.path}: event ${eventId} written`);
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
  } else {
    assert.equal(delivered?.name, form.wrappedBy, `${form.path}: the library's wrapper error`);
    assert.equal(
      delivered?.causeName,
      "RampartBlockedError",
      `${form.path}: wrapping the agent's error`,
    );
  }
  assert.equal(delivered?.via, form.via, `${form.path}: error path`);
  assert.equal(
    delivered?.sameTick,
    false,
    `${form.path}: callback not called before the call returned`,
  );
}

/** Sends a harmless name to a call form: it must run and return bob's row. */
export async function assertAllowedForm(app: RunningApp, form: CallForm): Promise<void> {
  const response = await fetch(`${app.url}${withQuery(form.path, [["name", "bob"]])}`);
  assert.equal(response.status, 200, `${form.path} answers 200`);
  assert.match(await response.text(), /bob/, `${form.path} returns bob's row`);
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

/** Sends the attack with a browser's Accept header: the 403 is an HTML page. */
export async function assertHtmlBlockPage(app: RunningApp, path: string): Promise<void> {
  const response = await fetch(`${app.url}${withQuery(path, [["name", stringAttack]])}`, {
    headers: { accept: "text/html,application/xhtml+xml" },
  });
  assert.equal(response.status, 403);
  assert.match(response.headers.get("content-type") ?? "", /text\/html/);
  assert.match(await response.text(), /<h1>403 Forbidden<\/h1>/);
}

/**
 * Sends the attack to an app in monitor mode: the query runs (the injected `OR 'a'='a` returns all
 * four fixture rows) and a monitored event names the sink.
 */
export async function assertMonitoredAndRun(
  app: RunningApp,
  path: string,
  sink: string,
): Promise<void> {
  const response = await fetch(`${app.url}${withQuery(path, [["name", stringAttack]])}`);
  assert.equal(response.status, 200);
  const { rows } = (await response.json()) as { rows: unknown[] };
  assert.equal(rows.length, 4, "the injected condition matched every row");

  const [event] = await app.waitForEvents(1);
  assert.equal(event?.action, "monitored");
  assert.equal(event?.sink, sink);
  assert.equal(event?.input.path, "query.name");
}
