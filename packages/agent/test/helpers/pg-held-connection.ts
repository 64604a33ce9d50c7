// Checks for the PostgreSQL apps with a single connection (pg-pool.cjs, postgres-pool.cjs). Their
// /hold route keeps that connection for `ms` milliseconds, and a request arriving meanwhile gets it
// from /hold's release, which runs in /hold's async context. With `job=<name>`, /hold also hands the
// name to a background job whose query waits behind /hold and runs outside any request.
import assert from "node:assert/strict";

import type { RunningApp } from "./app-process";
import { HttpClient, withQuery, type HttpResponse } from "./http-client";
import { fixtureNames } from "./pg-server";

/** Breaks out of the string literal that the apps' routes put `name` into. */
export const heldAttack = "nobody' OR '1'='1";

/** How long /hold keeps the connection, in milliseconds. */
const holdMs = 300;

/** Sends /hold, then `path` while /hold keeps the only connection; returns both responses and timing. */
export async function sendBehindHold(
  app: RunningApp,
  path: string,
  requestId: string,
  holdQuery = "",
): Promise<{ holdResponse: HttpResponse; waitingResponse: HttpResponse; waitedMs: number }> {
  const client = new HttpClient(app.url);
  try {
    const started = Date.now();
    const hold = client.get(`/hold?ms=${holdMs}&note=benign${holdQuery}`, {
      "x-request-id": `${requestId}-hold`,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiting = client.get(path, { "x-request-id": requestId });
    const [holdResponse, waitingResponse] = await Promise.all([hold, waiting]);
    return { holdResponse, waitingResponse, waitedMs: Date.now() - started };
  } finally {
    client.close();
  }
}

/** Sends the attack to `route` behind /hold: it is blocked, with one event of its own request. */
export async function assertJudgedBehindHold(app: RunningApp, route: string): Promise<void> {
  const requestId = `waiting${route.replace("/", "-")}`;
  const eventsBefore = app.events().length;
  const { holdResponse, waitingResponse, waitedMs } = await sendBehindHold(
    app,
    withQuery(route, [["name", heldAttack]]),
    requestId,
  );
  assert.equal(holdResponse.status, 200, holdResponse.body);
  assert.equal(waitingResponse.status, 403, waitingResponse.body);
  assert.ok(waitedMs >= holdMs, `the request waited for the held connection (${waitedMs} ms)`);

  const events = await app.waitForEvents(eventsBefore + 1);
  const own = events.filter((event) => event.request.request_id === requestId);
  assert.equal(own.length, 1, "one event for the waiting request");
  assert.equal(own[0]?.input.path, "query.name");
  assert.equal(
    events.filter((event) => event.request.request_id === `${requestId}-hold`).length,
    0,
    "no event for the holding request",
  );
}

/** Sends alice's name to `route` behind /hold: the query runs and raises no event. */
export async function assertBenignBehindHold(app: RunningApp, route: string): Promise<void> {
  const before = app.events().length;
  const { holdResponse, waitingResponse } = await sendBehindHold(
    app,
    withQuery(route, [["name", "alice"]]),
    "waiting-benign",
  );
  assert.equal(holdResponse.status, 200);
  assert.equal(waitingResponse.status, 200, waitingResponse.body);
  assert.match(waitingResponse.body, /alice/);
  assert.equal(app.events().length, before);
}

/**
 * Hands the attack to the background job through /hold while a benign request to `route` waits too:
 * the job's query runs outside any request, so it is not judged, and /hold is not blocked for it.
 */
export async function assertJobNotJudged(app: RunningApp, route: string): Promise<void> {
  const before = app.events().length;
  const { holdResponse } = await sendBehindHold(
    app,
    withQuery(route, [["name", "alice"]]),
    "job",
    `&job=${encodeURIComponent(heldAttack)}`,
  );
  assert.equal(holdResponse.status, 200, "the request is not blocked for the job's query");

  const client = new HttpClient(app.url);
  let outcome: { rowCount?: number; error?: string } | null = null;
  try {
    for (let attempt = 0; attempt < 50 && outcome === null; attempt++) {
      outcome = JSON.parse((await client.get("/job-outcome")).body).rows;
      if (outcome === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    client.close();
  }
  assert.deepEqual(outcome, { rowCount: fixtureNames.length }, "the job's query ran");
  assert.equal(app.events().length, before, "no event for a query outside any request");
}
