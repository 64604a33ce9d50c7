// Runs app.js under Rampart in block mode with every telemetry exporter switched on, each aimed at
// a loopback receiver started here, replays part of requests.json, and checks what each exporter
// delivered: events and attack types, no secret anywhere, trace ids, Prometheus metrics,
// snapshots and `rampart report`. Then it stops the receivers and checks that the app's responses
// stay exactly as before while the lost events are counted. Exits 1 when a check fails.
//
// Two app runs are needed because the agent takes one webhook URL and one syslog target:
// run A has the JSON webhook, CEF over UDP, OpenTelemetry, Prometheus and snapshots, and run B
// the Slack webhook and CEF over TCP.

import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative } from "node:path";

import {
  checkCefSyslog,
  checkJsonLines,
  checkJsonWebhook,
  checkOtel,
  checkPrometheus,
  checkSlackWebhook,
  checkSnapshots,
  cliPath,
  deliveryTimeoutMs,
  repoDir,
  runCommand,
} from "./exporter-checks.mjs";
import {
  check,
  checkNoSecret,
  fail,
  findRow,
  finish,
  indent,
  parentSpanId,
  secret,
  setRowOutcome,
  traceId,
} from "./demo-verdict.mjs";
import {
  scrape,
  startHttpReceiver,
  startTcpSyslog,
  startUdpSyslog,
  waitFor,
} from "./receivers.mjs";
import { appliesToThisNode, loadRequests, parseBlock, requestIdOf, send } from "./replay.mjs";
import { exampleDir, startApp } from "./start-app.mjs";
import {
  dedupIdentity,
  parseEvents,
  parsePrometheusSamples,
  readEventLines,
} from "./telemetry-parse.mjs";

const workDir = join(exampleDir, ".rampart", "telemetry-demo");
const preloadPath = join(exampleDir, "otel-preload.cjs");

const requestTimeoutMs = 10_000;
const demoTimeoutMs = 55_000;

// Benign requests whose responses must not change when the receivers stop.
const benignIds = [
  "user-by-name",
  "products-by-price-desc",
  "search-word",
  "category",
  "login-json",
  "file-readme",
  "lines-readme",
  "calc-arithmetic",
  "import-preferences",
  "search-page",
  "go-relative",
  "catalog-variant",
];
// Attacks with different deduplication identities (type, route, input path, client), so that
// each reaches the deduplicated webhook and syslog exporters.
const attackIds = [
  "tautology-string",
  "tautology-like",
  "cookie-tautology",
  "file-climb",
  "lines-chained",
  "calc-process",
  "import-function",
  "mongo-ne",
  "preview-loopback",
  "search-script",
  "go-external",
  "settings-proto",
  "catalog-crlf",
];
// Attacks sent while the receivers are stopped: identities not seen before, so that they are
// sent (and lost) instead of being folded into earlier events.
const attacksWhileStoppedIds = [
  "order-by-case",
  "header-union",
  "grep-quote-breakout",
  "login-tautology-form",
  "mongo-regex",
];
const slackRunAttackIds = ["tautology-string", "file-climb", "lines-chained", "search-script"];
const slackRunStoppedIds = ["order-by-case", "header-union", "calc-process"];
const slackRunBenignIds = ["user-by-name", "search-word", "file-readme", "go-relative"];

const runningApps = new Set();
const receivers = new Set();

const watchdog = setTimeout(() => {
  console.error(`\nFAIL: the telemetry demo timed out after ${demoTimeoutMs} ms`);
  stopEverything().finally(() => process.exit(1));
}, demoTimeoutMs);
watchdog.unref();

try {
  await main();
} catch (error) {
  fail(`demo aborted: ${error.stack ?? error.message}`);
}
await stopEverything();
clearTimeout(watchdog);
finish();

async function main() {
  checkAgentBuilt();
  const requests = new Map(
    (await loadRequests(join(exampleDir, "requests.json"))).map((request) => [request.id, request]),
  );
  // Node.js 24 rejects some attacks itself (CR/LF in early hints), so those are not replayed there.
  const pick = (ids) => ids.map((id) => requireRequest(requests, id)).filter(appliesToThisNode);

  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  console.log(`Working directory: ${relative(process.cwd(), workDir) || "."}`);
  console.log(
    `Secret marker sent in password, token, Authorization, cookie and X-Api-Key: ${secret}`,
  );
  console.log(`traceparent sent: 00-${traceId}-${parentSpanId}-01\n`);

  await runFullExporters(requests, pick);
  await runSlackAndTcp(requests, pick);
}

// ---------------------------------------------------------------------------------------------
// Run A: JSON Lines with rotation, JSON webhook, CEF over UDP, OpenTelemetry, Prometheus, snapshots

async function runFullExporters(requests, pick) {
  const webhook = track(await startHttpReceiver("webhook (json)"));
  const syslog = track(await startUdpSyslog("syslog UDP (CEF)"));
  const otel = track(await startHttpReceiver("OpenTelemetry spans"));
  const eventsFile = join(workDir, "a-events.jsonl");
  const snapshotsDir = join(workDir, "snapshots");
  const stderrFile = join(workDir, "a-stderr.log");

  const app = await startTracked({
    label: "app.js (run A)",
    env: {
      RAMPART_MODE: "block",
      RAMPART_EVENTS: eventsFile,
      RAMPART_EVENTS_MAX_BYTES: "8192",
      RAMPART_EVENTS_MAX_FILES: "20",
      RAMPART_SNAPSHOTS: "blocks",
      RAMPART_SNAPSHOT_DIR: snapshotsDir,
      RAMPART_WEBHOOK_URL: `${webhook.url}/hooks/rampart`,
      RAMPART_WEBHOOK_RATE: "100",
      RAMPART_WEBHOOK_RETRIES: "1",
      RAMPART_WEBHOOK_TIMEOUT_MS: "1000",
      RAMPART_SYSLOG: syslog.url,
      RAMPART_OTEL: "true",
      RAMPART_PROMETHEUS_PORT: "0",
      RAMPART_DROP_WARNING_INTERVAL: "1",
      RAMPART_DEMO_OTEL_URL: otel.url,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require "${preloadPath}"`.trim(),
    },
  });
  console.log(`Run A: app.js under Rampart (PID ${app.pid}) at ${app.url}`);
  const metricsUrl = await waitForMetricsUrl(app);
  console.log(`Run A: Prometheus endpoint ${metricsUrl}`);

  const secretRequest = secretLoginRequest();
  const tracedRequest = tracedAttack(requireRequest(requests, "union-number"));
  const before = await replay(app.url, [
    ...pick(benignIds),
    ...pick(attackIds),
    secretRequest,
    tracedRequest,
  ]);

  const events = await waitForEvents(eventsFile, before);
  const secretEvent = eventOfRequest(events, secretRequest);
  const tracedEvent = eventOfRequest(events, tracedRequest);
  const identities = new Set(events.map(dedupIdentity));
  console.log(
    `Run A: ${before.length} requests, ${events.length} events in JSON Lines, ` +
      `${identities.size} deduplication identities\n`,
  );

  await checkJsonLines("A", eventsFile, events, secretEvent, tracedEvent);
  await checkJsonWebhook(webhook, events, identities, secretEvent, tracedEvent);
  await checkCefSyslog(syslog, events, identities, secretEvent, tracedEvent);
  await checkOtel(otel, events, secretEvent, tracedEvent);
  const metricsText = await checkPrometheus(metricsUrl, events);
  await checkSnapshots(snapshotsDir, events, secretEvent);

  await stopReceiversAndReplay({
    app,
    stopped: [webhook, syslog, otel],
    benign: before.filter(({ request }) => request.kind === "benign"),
    attacks: pick(attacksWhileStoppedIds),
    metricsUrl,
    eventsFile,
    droppedBy: { "webhook (json)": "webhook", "syslog UDP (CEF)": "syslog" },
  });

  await stopTracked(app);
  // The preload's exit line can arrive after the exit event.
  await waitFor(() => app.stderr().includes("otel-preload:"), 1000);
  await writeFile(stderrFile, app.stderr());
  reportOtelPreloadLoss(app.stderr());
  checkAgentLog("run A", app.stderr());
  checkNoSecret("Prometheus text", metricsText);
  await runReport(eventsFile, snapshotsDir, stderrFile);
}

// ---------------------------------------------------------------------------------------------
// Run B: Slack webhook and CEF over TCP

async function runSlackAndTcp(requests, pick) {
  const slack = track(await startHttpReceiver("webhook (slack)", "ok"));
  const syslog = track(await startTcpSyslog("syslog TCP (CEF)"));
  const eventsFile = join(workDir, "b-events.jsonl");

  const app = await startTracked({
    label: "app.js (run B)",
    env: {
      RAMPART_MODE: "block",
      RAMPART_EVENTS: eventsFile,
      RAMPART_SNAPSHOTS: "off",
      RAMPART_WEBHOOK_URL: `${slack.url}/services/T000/B000/demo`,
      RAMPART_WEBHOOK_FORMAT: "slack",
      RAMPART_WEBHOOK_RATE: "100",
      RAMPART_WEBHOOK_RETRIES: "1",
      RAMPART_WEBHOOK_TIMEOUT_MS: "1000",
      RAMPART_SYSLOG: syslog.url,
      RAMPART_PROMETHEUS_PORT: "0",
    },
  });
  console.log(`\nRun B: app.js under Rampart (PID ${app.pid}) at ${app.url}`);
  const metricsUrl = await waitForMetricsUrl(app);

  const secretRequest = secretLoginRequest();
  const tracedRequest = tracedAttack(requireRequest(requests, "union-number"));
  const before = await replay(app.url, [
    ...pick(slackRunBenignIds),
    ...pick(slackRunAttackIds),
    secretRequest,
    tracedRequest,
  ]);
  const events = await waitForEvents(eventsFile, before);
  const identities = new Set(events.map(dedupIdentity));
  const secretEvent = eventOfRequest(events, secretRequest);
  const tracedEvent = eventOfRequest(events, tracedRequest);
  console.log(`Run B: ${before.length} requests, ${events.length} events in JSON Lines\n`);

  check(
    tracedEvent.trace_id === traceId,
    `run B JSON Lines: traced event has trace_id ${tracedEvent.trace_id}, expected ${traceId} from traceparent`,
  );
  await checkSlackWebhook(slack, events, identities, secretEvent, tracedEvent);
  await checkCefSyslog(syslog, events, identities, secretEvent, tracedEvent);

  await stopReceiversAndReplay({
    app,
    stopped: [slack, syslog],
    benign: before.filter(({ request }) => request.kind === "benign"),
    attacks: pick(slackRunStoppedIds),
    metricsUrl,
    eventsFile,
    droppedBy: { "webhook (slack)": "webhook" },
  });
  await stopTracked(app);
  checkAgentLog("run B", app.stderr());
}

// ---------------------------------------------------------------------------------------------
// Requests

/** Builds a SQL injection at POST /login that carries the secret in every place a secret travels. */
function secretLoginRequest() {
  return {
    id: "secret-login",
    kind: "attack",
    class: "login-bypass",
    method: "POST",
    path: "/login",
    query: { access_token: secret },
    json: { name: "admin' --", password: secret, token: secret },
    headers: {
      authorization: `Bearer ${secret}`,
      cookie: `session=${secret}; sid=${secret}`,
      "x-api-key": secret,
    },
  };
}

/** Copies an attack and adds the run's W3C traceparent header. */
function tracedAttack(request) {
  return {
    ...request,
    id: `traced-${request.id}`,
    headers: { ...request.headers, traceparent: `00-${traceId}-${parentSpanId}-01` },
  };
}

function requireRequest(requests, id) {
  const request = requests.get(id);
  if (request === undefined) throw new Error(`requests.json has no request with id "${id}"`);
  return request;
}

/** Sends the requests in order and fails a check for each unexpected outcome. */
async function replay(baseUrl, requests) {
  const results = [];
  for (const request of requests) {
    const response = await send(baseUrl, request, requestTimeoutMs);
    const block = parseBlock(response);
    results.push({ request, response, block });

    const expected = request.kind === "benign" ? "passed" : (request.expect ?? "blocked");
    let outcome = "server error";
    if (block !== null) outcome = "blocked";
    else if (response.status < 500) outcome = "passed";
    const ok =
      expected === "blocked"
        ? outcome === "blocked"
        : outcome === "passed" || request.status === response.status;
    check(ok, `${request.id}: expected ${expected}, got ${outcome} (${response.status})`);
  }
  return results;
}

/** Waits until the events of every blocked response and of every monitored attack are logged. */
async function waitForEvents(eventsFile, results) {
  const blockIds = results.map(({ block }) => block?.eventId).filter(Boolean);
  const monitored = results
    .filter(({ request }) => request.expect === "monitored")
    .map(({ request }) => requestIdOf(request));

  let events = [];
  const complete = await waitFor(async () => {
    events = parseEvents(await readEventLines(eventsFile));
    const ids = new Set(events.map((event) => event.event_id));
    const requestIds = new Set(events.map((event) => event.request?.request_id));
    return blockIds.every((id) => ids.has(id)) && monitored.every((id) => requestIds.has(id));
  }, deliveryTimeoutMs);
  check(
    complete,
    `JSON Lines: not every blocked or monitored request has an event in ${eventsFile}`,
  );
  return events;
}

function eventOfRequest(events, request) {
  const event = events.find((candidate) => candidate.request?.request_id === requestIdOf(request));
  if (event === undefined) throw new Error(`no event logged for request ${request.id}`);
  return event;
}

// ---------------------------------------------------------------------------------------------
// Receivers stopped

/**
 * Stops the receivers, sends attacks the exporters have not seen and the benign requests again,
 * and checks that the responses are unchanged and that the lost events are counted.
 */
async function stopReceiversAndReplay({
  app,
  stopped,
  benign,
  attacks,
  metricsUrl,
  eventsFile,
  droppedBy,
}) {
  const droppedBefore = await droppedCounts(metricsUrl);
  for (const receiver of stopped) await stopReceiver(receiver);
  console.log(`\nStopped ${stopped.map((receiver) => receiver.label).join(", ")}; replaying`);

  const attackResults = await replay(app.url, attacks);
  const after = await replay(
    app.url,
    benign.map(({ request }) => request),
  );
  const changed = after.filter(({ response }, index) => {
    const previous = benign[index].response;
    return response.status !== previous.status || response.text !== previous.text;
  });
  check(
    changed.length === 0,
    `after the receivers stopped, ${changed.length} benign responses changed: ${changed.map(({ request }) => request.id).join(", ")}`,
  );
  const blockedAfter = attackResults.filter(({ block }) => block !== null).length;

  const events = await waitForEvents(eventsFile, attackResults);
  const logged = attackResults.filter(({ block }) =>
    events.some((event) => event.event_id === block?.eventId),
  ).length;
  check(
    logged === attacks.length,
    `JSON Lines: ${logged} of ${attacks.length} attacks sent while receivers were stopped were logged`,
  );

  let droppedAfter = droppedBefore;
  const exporters = Object.values(droppedBy);
  await waitFor(async () => {
    droppedAfter = await droppedCounts(metricsUrl);
    return exporters.every(
      (exporter) =>
        (droppedAfter[exporter] ?? 0) - (droppedBefore[exporter] ?? 0) >= attacks.length,
    );
  }, deliveryTimeoutMs);

  const summary = `${after.length - changed.length}/${after.length} benign unchanged, ${blockedAfter}/${attacks.length} attacks blocked`;
  console.log(`  ${summary}; ${logged} new events still in JSON Lines`);
  for (const receiver of stopped) {
    const exporter = droppedBy[receiver.label];
    let outcome = summary;
    if (exporter !== undefined) {
      const dropped = (droppedAfter[exporter] ?? 0) - (droppedBefore[exporter] ?? 0);
      check(
        dropped > 0,
        `${receiver.label}: no rampart_events_dropped_total{exporter="${exporter}"} counted after the receiver stopped`,
      );
      outcome += `; ${dropped} dropped counted`;
      console.log(
        `  rampart_events_dropped_total{exporter="${exporter}"} rose by ${dropped} (${droppedAfter.reasons[exporter] ?? "?"})`,
      );
    } else if (receiver.label.startsWith("syslog TCP")) {
      // TCP keeps up to 10,000 messages queued while it reconnects, so they are counted only when
      // the queue overflows or the process exits.
      outcome += "; queued for reconnect";
    } else {
      outcome += "; spans lost in the SDK exporter";
    }
    setRowOutcome(receiver.label, outcome);
  }
  const drops = exporters.map(
    (exporter) => `${exporter} +${(droppedAfter[exporter] ?? 0) - (droppedBefore[exporter] ?? 0)}`,
  );
  const prometheusRow = findRow("Prometheus /metrics");
  if (prometheusRow !== undefined && prometheusRow.after === "")
    prometheusRow.after = `dropped counted: ${drops.join(", ")}`;
}

/** Reads rampart_events_dropped_total per exporter, with the reasons. */
async function droppedCounts(metricsUrl) {
  const samples = parsePrometheusSamples(await scrape(metricsUrl)).filter(
    (sample) => sample.name === "rampart_events_dropped_total",
  );
  const counts = { reasons: {} };
  for (const sample of samples) {
    const exporter = sample.labels.exporter;
    counts[exporter] = (counts[exporter] ?? 0) + sample.value;
    counts.reasons[exporter] =
      `${counts.reasons[exporter] ? `${counts.reasons[exporter]}, ` : ""}${sample.labels.reason} ${sample.value}`;
  }
  return counts;
}

function reportOtelPreloadLoss(stderr) {
  const match = /otel-preload: (\d+) spans? not delivered/.exec(stderr);
  const row = findRow("OpenTelemetry spans");
  if (match && row)
    row.after = row.after.replace(
      "spans lost in the SDK exporter",
      `${match[1]} spans lost in the SDK exporter`,
    );
}

// ---------------------------------------------------------------------------------------------
// rampart report

async function runReport(eventsFile, snapshotsDir, stderrFile) {
  // The report reads one file, so the rotated files are joined oldest first.
  const combined = join(workDir, "a-events-all.jsonl");
  const lines = await readEventLines(eventsFile);
  await writeFile(combined, lines.join("\n") + "\n");

  const args = [cliPath, "report", combined, "--snapshots", snapshotsDir, "--log", stderrFile];
  const result = await runCommand(process.execPath, args);
  const events = parseEvents(lines);
  check(result.code === 0, `rampart report exited ${result.code}: ${result.stderr}`);
  check(
    result.stdout.includes(`Detections: ${events.length} `),
    `rampart report does not show "Detections: ${events.length}"`,
  );
  // The agent's drop warnings in its stderr log are what --log reads.
  check(
    /^Dropped: +[1-9]/m.test(result.stdout),
    "rampart report --log does not show the events dropped while the receivers were stopped",
  );
  checkNoSecret("rampart report", result.stdout);

  console.log(`\n$ rampart report ${relative(repoDir, combined)} --snapshots ... --log ...`);
  console.log(indent(result.stdout.trimEnd()));
}

// ---------------------------------------------------------------------------------------------
// Helpers

function checkAgentBuilt() {
  try {
    createRequire(join(exampleDir, "app.js")).resolve("rampart/register");
    createRequire(preloadPath).resolve("@opentelemetry/sdk-trace-base");
  } catch (error) {
    throw new Error(
      `${error.message}\nBuild the agent first (npm run build) and install the dev dependencies (npm ci).`,
      { cause: error },
    );
  }
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing; run npm run build`);
}

async function startTracked(options) {
  const app = await startApp({ agent: true, ...options });
  runningApps.add(app);
  return app;
}

async function stopTracked(app) {
  await app.stop();
  runningApps.delete(app);
}

function track(receiver) {
  receivers.add(receiver);
  return receiver;
}

async function stopReceiver(receiver) {
  receivers.delete(receiver);
  await receiver.stop();
}

async function stopEverything() {
  for (const app of runningApps) await app.stop().catch(() => {});
  runningApps.clear();
  for (const receiver of receivers) await receiver.stop().catch(() => {});
  receivers.clear();
}

/** Resolves the URL of the agent's metrics endpoint from its "serving Prometheus metrics" log line. */
async function waitForMetricsUrl(app) {
  let url;
  const found = await waitFor(() => {
    for (const line of app.stderr().split("\n")) {
      if (!line.includes("serving Prometheus metrics")) continue;
      const { address } = JSON.parse(line);
      url = `http://${address.address}:${address.port}/metrics`;
      return true;
    }
    return false;
  }, 5000);
  if (!found)
    throw new Error(`${app.label} logged no "serving Prometheus metrics" line:\n${app.stderr()}`);
  return url;
}

/**
 * Checks the agent's own log lines (JSON with `"name":"rampart"`) for the secret. The app's lines
 * are only reported: app.js logs the URL of every failed request, query string included.
 */ function checkAgentLog(run, stderr) {
  const lines = stderr.split("\n");
  const agentLines = lines.filter(
    (line) => line.startsWith("{") && line.includes('"name":"rampart"'),
  );
  checkNoSecret(`agent log (${run})`, agentLines.join("\n"));

  const appLeaks = lines.filter(
    (line) => !agentLines.includes(line) && line.includes(secret),
  ).length;
  const note = appLeaks === 0 ? "none" : `${appLeaks} (app.js logs the URL of failed requests)`;
  console.log(
    `Agent log (${run}): ${agentLines.length} lines, secret in 0 expected; app's own stderr lines with the secret: ${note}`,
  );
}
