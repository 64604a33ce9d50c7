import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import type { SecurityEvent } from "./app-process";
import type { RunningApp } from "./app-process";
import { loadCorpus } from "./corpus";
import { HttpClient, withQuery, type HttpResponse } from "./http-client";
import type { SqlOracles, TokenOracle } from "./sql-oracle";

/** One route of a fixture app that puts the query parameter `param` into SQL. */
export interface CorpusRoute {
  /** Path such as `/string`. */
  readonly path: string;
  readonly param: string;
  /** Returns true when the payload stays one token where the route puts it: then it must not be flagged. */
  readonly oracle: TokenOracle;
  /** Pairs sent before the payload, such as a first IN-list item (`id=alice`). */
  readonly leadingPairs?: ReadonlyArray<readonly [string, string]>;
}

/**
 * Returns the vulnerable routes that every corpus app serves (pg-routes.cjs, postgres-routes.cjs,
 * sql-corpus-queries.cjs), each with the dialect's oracle for the position it puts its input into.
 * /number and /order put it at the end of the query, where the bare-token oracle applies. /in sends
 * `alice` as the first list item, then the payload. `likeOracle` covers `'%…%'` where the dialect reads
 * it differently from a plain string literal.
 */
export function vulnerableCorpusRoutes(
  oracles: SqlOracles,
  likeOracle: TokenOracle = oracles.stringLiteral,
): CorpusRoute[] {
  return [
    { path: "/string", param: "name", oracle: oracles.stringLiteral },
    { path: "/number", param: "id", oracle: oracles.bareToken },
    { path: "/identifier", param: "column", oracle: oracles.quotedIdentifier },
    { path: "/like", param: "q", oracle: likeOracle },
    { path: "/in", param: "id", oracle: oracles.stringLiteral, leadingPairs: [["id", "alice"]] },
    { path: "/order", param: "sort", oracle: oracles.bareToken },
  ];
}

/** A payload whose request did not get the outcome the oracle calls for. */
export interface CorpusMismatch {
  readonly route: string;
  readonly payload: string;
  readonly status: number;
  readonly detail: string;
}

export interface RouteCounts {
  readonly route: string;
  readonly payloads: number;
  /** Payloads that change the statement, according to the route's oracle. */
  readonly breaking: number;
  /** Breaking payloads that got the expected outcome (403 and event, or monitored event). */
  readonly caught: number;
}

export interface CorpusReport {
  readonly counts: readonly RouteCounts[];
  /** Breaking payloads that were not blocked (block mode) or not reported (monitor mode). */
  readonly missed: readonly CorpusMismatch[];
  /** Payloads that stay one token but got a 403 or an event. */
  readonly falsePositives: readonly CorpusMismatch[];
  /** Events whose attack type, sink, input path or action is not the expected one. */
  readonly wrongEvents: readonly CorpusMismatch[];
  /** Blocked responses whose JSON body does not name the event's id. */
  readonly wrongBodies: readonly CorpusMismatch[];
  /** Agent log lines about its own failures; the agent then lets calls through unjudged. */
  readonly internalErrors?: readonly string[];
}

export interface CorpusRun {
  readonly app: RunningApp;
  readonly routes: readonly CorpusRoute[];
  readonly payloads: readonly string[];
  readonly mode: "block" | "monitor";
  /** Expected `sink` of every event, such as `pg.query`. */
  readonly sink: string;
  /** Prefix of the `# ` summary line. */
  readonly label: string;
}

interface SentCase {
  readonly route: CorpusRoute;
  readonly payload: string;
  readonly breaks: boolean;
  readonly requestId: string;
}

function eventProblem(
  event: SecurityEvent,
  sentCase: SentCase,
  run: CorpusRun,
): string | undefined {
  const expectedAction = run.mode === "block" ? "blocked" : "monitored";
  const expectedPath = `query.${sentCase.route.param}`;
  if (event.attack_type !== "sql_injection") return `attack_type ${event.attack_type}`;
  if (event.sink !== run.sink) return `sink ${event.sink}, expected ${run.sink}`;
  if (event.input.path !== expectedPath)
    return `input path ${event.input.path}, expected ${expectedPath}`;
  if (event.action !== expectedAction) return `action ${event.action}, expected ${expectedAction}`;
  return undefined;
}

function blockedBodyEventId(response: HttpResponse): string | undefined {
  try {
    return (JSON.parse(response.body) as { event_id?: string }).event_id;
  } catch {
    return undefined;
  }
}

/**
 * Sends every payload to every route over keep-alive connections and sorts the outcomes against the
 * routes' oracles. Requests carry `x-request-id` so that each event is matched to its request.
 */
export async function runSqlCorpus(run: CorpusRun): Promise<CorpusReport> {
  // Runs against one app must not share request ids, or a later run would match an earlier run's events.
  const runId = randomBytes(4).toString("hex");
  const cases: SentCase[] = run.routes.flatMap((route, routeIndex) =>
    run.payloads.map((payload, payloadIndex) => ({
      route,
      payload,
      breaks: !route.oracle(payload),
      requestId: `corpus-${runId}-${routeIndex}-${payloadIndex}`,
    })),
  );

  const eventsBefore = run.app.events().length;
  const client = new HttpClient(run.app.url);
  const started = Date.now();
  let responses: HttpResponse[];
  try {
    responses = await client.sendAll(
      cases.map((sentCase) => ({
        path: withQuery(sentCase.route.path, [
          ...(sentCase.route.leadingPairs ?? []),
          [sentCase.route.param, sentCase.payload],
        ]),
        headers: { "x-request-id": sentCase.requestId },
      })),
    );
  } finally {
    client.close();
  }

  const breakingTotal = cases.filter((sentCase) => sentCase.breaks).length;
  await run.app.waitForEvents(eventsBefore + breakingTotal, 10_000);
  // Events of requests that should have none (false positives) are not waited for above: give the
  // agent's batched writes a moment to land before reading the final list.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const events = run.app.events();
  const eventsByRequest = new Map<string, SecurityEvent[]>();
  for (const event of events) {
    const list = eventsByRequest.get(event.request.request_id) ?? [];
    list.push(event);
    eventsByRequest.set(event.request.request_id, list);
  }

  const internalErrors = run.app
    .stderr()
    .split("\n")
    .filter((line) => line.includes('"level":"error"'));
  const report = { ...classify(run, cases, responses, eventsByRequest), internalErrors };
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const perRoute = report.counts.map(
    (count) => `${count.route} ${count.caught}/${count.breaking} of ${count.payloads}`,
  );
  console.log(
    `# ${run.label} (${run.mode}, ${cases.length} requests in ${seconds} s): caught/breaking of sent: ${perRoute.join(", ")}`,
  );
  return report;
}

function classify(
  run: CorpusRun,
  cases: readonly SentCase[],
  responses: readonly HttpResponse[],
  eventsByRequest: ReadonlyMap<string, SecurityEvent[]>,
): Omit<CorpusReport, "internalErrors"> {
  const missed: CorpusMismatch[] = [];
  const falsePositives: CorpusMismatch[] = [];
  const wrongEvents: CorpusMismatch[] = [];
  const wrongBodies: CorpusMismatch[] = [];
  const caughtByRoute = new Map<string, number>();

  cases.forEach((sentCase, index) => {
    const response = responses[index] as HttpResponse;
    const events = eventsByRequest.get(sentCase.requestId) ?? [];
    const mismatch = (detail: string): CorpusMismatch => ({
      route: sentCase.route.path,
      payload: sentCase.payload,
      status: response.status,
      detail,
    });

    if (!sentCase.breaks) {
      if (response.status === 403 || events.length > 0) {
        falsePositives.push(
          mismatch(events.map((event) => event.reason).join(",") || "403 without event"),
        );
      }
      return;
    }

    const event = events[0];
    const expectedStatus = run.mode === "block" ? response.status === 403 : response.status !== 403;
    if (event === undefined || !expectedStatus) {
      missed.push(mismatch(event === undefined ? "no event" : `status ${response.status}`));
      return;
    }
    caughtByRoute.set(sentCase.route.path, (caughtByRoute.get(sentCase.route.path) ?? 0) + 1);

    const problem =
      events.length > 1 ? `${events.length} events` : eventProblem(event, sentCase, run);
    if (problem !== undefined) wrongEvents.push(mismatch(problem));
    if (run.mode === "block" && blockedBodyEventId(response) !== event.event_id) {
      wrongBodies.push(mismatch(`body ${response.body.slice(0, 200)}`));
    }
  });

  const counts = run.routes.map((route) => {
    const routeCases = cases.filter((sentCase) => sentCase.route === route);
    return {
      route: route.path,
      payloads: routeCases.length,
      breaking: routeCases.filter((sentCase) => sentCase.breaks).length,
      caught: caughtByRoute.get(route.path) ?? 0,
    };
  });
  return { counts, missed, falsePositives, wrongEvents, wrongBodies };
}

/** Formats the first mismatches for an assertion message. */
export function describeMismatches(mismatches: readonly CorpusMismatch[], limit = 15): string {
  const firstLines = mismatches
    .slice(0, limit)
    .map(
      (item) => `${item.route} [${item.status}] ${JSON.stringify(item.payload)}: ${item.detail}`,
    );
  const more = mismatches.length > limit ? `\n… and ${mismatches.length - limit} more` : "";
  return `${mismatches.length} mismatches:\n${firstLines.join("\n")}${more}`;
}

/** Asserts that a corpus run has no mismatch of any kind, one assertion per kind. */
export function assertNoMismatches(report: CorpusReport): void {
  assert.deepEqual(report.internalErrors ?? [], [], "the agent reported internal errors");
  assert.equal(
    report.missed.length,
    0,
    `breaking payloads not caught: ${describeMismatches(report.missed)}`,
  );
  assert.equal(
    report.falsePositives.length,
    0,
    `payloads flagged in error: ${describeMismatches(report.falsePositives)}`,
  );
  assert.equal(
    report.wrongEvents.length,
    0,
    `events with wrong fields: ${describeMismatches(report.wrongEvents)}`,
  );
  assert.equal(
    report.wrongBodies.length,
    0,
    `403 bodies without the event id: ${describeMismatches(report.wrongBodies)}`,
  );
}

/** Returns the string payloads of a corpus file (`sqli`, `benign`), skipping JSON-valued entries. */
export function corpusPayloads(name: string): string[] {
  return loadCorpus(name).flatMap((entry) =>
    typeof entry.payload === "string" ? [entry.payload] : [],
  );
}

/**
 * Runs the monitor-mode corpus. Each route gets only the payloads that its oracle marks as breaking
 * out, because the block-mode run already checked the others, and every one of them must produce a
 * monitored event while the request is not blocked. Monitor mode lets the payloads run, so each route
 * gets a fresh app: what one route's payloads do to the app's connections cannot change the outcome
 * of the next route. Returns the merged report of all routes.
 */
export async function runMonitorCorpus(options: {
  start: () => Promise<RunningApp>;
  routes: readonly CorpusRoute[];
  payloads: readonly string[];
  sink: string;
  label: string;
}): Promise<CorpusReport> {
  const reports: CorpusReport[] = [];
  for (const route of options.routes) {
    const app = await options.start();
    try {
      const report = await runSqlCorpus({
        app,
        routes: [route],
        payloads: options.payloads.filter((payload) => !route.oracle(payload)),
        mode: "monitor",
        sink: options.sink,
        label: options.label,
      });
      reports.push(report);
    } finally {
      await app.stop();
    }
  }

  return {
    counts: reports.flatMap((report) => report.counts),
    missed: reports.flatMap((report) => report.missed),
    falsePositives: reports.flatMap((report) => report.falsePositives),
    wrongEvents: reports.flatMap((report) => report.wrongEvents),
    wrongBodies: reports.flatMap((report) => report.wrongBodies),
    internalErrors: reports.flatMap((report) => report.internalErrors ?? []),
  };
}
