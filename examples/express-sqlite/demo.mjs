// Replays requests.json against app.js running under Rampart in block mode, prints which attacks
// were blocked and which benign requests passed, and exits 1 unless all attacks were blocked and
// all benign requests passed.

import { mkdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";

import { appliesToThisNode, loadRequests, parseBlock, requestIdOf, send } from "./replay.mjs";
import { exampleDir, startApp } from "./start-app.mjs";

const requestTimeoutMs = 10_000;
const demoTimeoutMs = 120_000;
const eventsFile = join(exampleDir, ".rampart", "demo-events.jsonl");
// Top-level fields that every security event carries, per the agent's event format.
const requiredEventFields = [
  "time",
  "event_id",
  "attack_type",
  "sink",
  "action",
  "input",
  "operation",
  "request",
  "stack",
  "agent",
];

let app;
let failing = false;

// A hung app or request ends the demo with an error instead of waiting forever.
const watchdog = setTimeout(
  () => fail(new Error(`Demo timed out after ${demoTimeoutMs} ms`)),
  demoTimeoutMs,
);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => fail(new Error(`Interrupted by ${signal}`)));
}

try {
  process.exitCode = await main();
} catch (error) {
  await fail(error);
} finally {
  clearTimeout(watchdog);
}

async function main() {
  checkAgentBuilt();
  const all = await loadRequests(join(exampleDir, "requests.json"));
  // Node.js 24 rejects some attacks itself (CR/LF in early hints), so those are not replayed there.
  const requests = all.filter(appliesToThisNode);
  for (const request of all.filter((candidate) => !appliesToThisNode(candidate))) {
    console.log(`Skipping ${request.id}: Node.js ${process.versions.node} rejects it itself`);
  }

  await mkdir(join(exampleDir, ".rampart"), { recursive: true });
  await rm(eventsFile, { force: true });

  app = await startApp({
    agent: true,
    env: { RAMPART_MODE: "block", RAMPART_EVENTS: eventsFile },
    label: "app.js under Rampart",
  });
  console.log(`Started app.js under Rampart (PID ${app.pid}, RAMPART_MODE=block) at ${app.url}`);
  console.log(`Replaying ${requests.length} requests from requests.json\n`);

  const results = [];
  for (const request of requests) {
    const response = await send(app.url, request, requestTimeoutMs);
    results.push({ request, response, block: parseBlock(response) });
  }

  const events = await readEvents(results);
  if (process.env.RAMPART_CONTROL_URL) {
    // The agent sends its events to the control plane in batches, one per second at most.
    console.log("Waiting 3 s for the agent to send its events to the control plane");
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  await app.stop();

  const { rows, failures } = tally(results, events);
  printTable(rows);
  printEvents(results, events);

  if (failures.length > 0) {
    console.log(`\nFAIL: ${failures.length} request(s) did not get the expected outcome:`);
    for (const line of failures) console.log(`  ${line}`);
    return 1;
  }
  console.log(
    "\nPASS: every attack was blocked or monitored as expected and every benign request passed.",
  );
  return 0;
}

function checkAgentBuilt() {
  try {
    createRequire(join(exampleDir, "app.js")).resolve("rampart/register");
  } catch {
    throw new Error(
      "rampart/register was not found. Build the agent first: `npm run build` at the repository root.",
    );
  }
}

/**
 * Reads the event log, waiting up to 3 s for the events of blocked responses and of attacks
 * expected to be monitored.
 */
async function readEvents(results) {
  const expectedIds = results.map((result) => result.block?.eventId).filter(Boolean);
  const monitoredRequests = results
    .filter(({ request }) => request.expect === "monitored")
    .map(({ request }) => requestIdOf(request));
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = await readFile(eventsFile, "utf8").catch(() => "");
    const events = text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line));

    const logged = new Set(events.map((event) => event.event_id));
    const requestIds = new Set(events.map((event) => event.request?.request_id));
    const complete =
      expectedIds.every((id) => logged.has(id)) &&
      monitoredRequests.every((id) => requestIds.has(id));
    if (complete || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Counts the expected outcomes per attack class and for benign requests, and lists the others. */
function tally(results, events) {
  const rows = new Map();
  const failures = [];

  for (const { request, response, block } of results) {
    const label = request.kind === "attack" ? request.class : "benign";
    const row = rows.get(label) ?? { ok: 0, total: 0, expect: expectationOf(request) };
    rows.set(label, row);
    row.total++;

    if (isExpected(request, response, block, events)) {
      row.ok++;
    } else {
      failures.push(describeFailure(request, response, block));
    }
  }
  return { rows, failures };
}

function expectationOf(request) {
  if (request.kind === "benign") return "passed";
  return request.expect ?? "blocked";
}

function isExpected(request, response, block, events) {
  // A benign request may name the status it gets without a server the demo does not run (503).
  if (request.kind === "benign" && request.status !== undefined)
    return block === null && response.status === request.status;
  if (request.kind === "benign") return block === null && response.status < 500;
  if (expectationOf(request) === "blocked") return block !== null;

  // Monitored: the request went through and a monitored event names it.
  const requestId = requestIdOf(request);
  return (
    block === null &&
    events.some((event) => event.request?.request_id === requestId && event.action === "monitored")
  );
}

function describeFailure(request, response, block) {
  let outcome = "got a server error";
  if (request.kind === "attack" && expectationOf(request) === "blocked")
    outcome = "was not blocked";
  else if (request.kind === "attack") outcome = "was not monitored (no event, or blocked)";
  else if (block !== null) outcome = "was blocked";

  return (
    `${request.kind} ${request.id} ${outcome}: ${request.method} ${response.url} -> ` +
    `${response.status} ${response.text.slice(0, 160)}`
  );
}

function printTable(rows) {
  const attacks = { ok: 0, total: 0 };
  console.log(`${"Attack class".padEnd(24)}${"Expected".padEnd(11)}As expected`);
  for (const [label, row] of rows) {
    if (label === "benign") continue;
    console.log(`${label.padEnd(24)}${row.expect.padEnd(11)}${row.ok}/${row.total}`);
    attacks.ok += row.ok;
    attacks.total += row.total;
  }
  console.log(`${"all attacks".padEnd(24)}${"".padEnd(11)}${attacks.ok}/${attacks.total}`);

  const benign = rows.get("benign") ?? { ok: 0, total: 0 };
  console.log(`\n${"Benign requests".padEnd(24)}Passed`);
  console.log(`${"all benign".padEnd(24)}${benign.ok}/${benign.total}`);
}

/** Prints the event log path, a sample event, and warnings where events break the contract. */
function printEvents(results, events) {
  console.log(`\nEvent log: ${eventsFile} (${events.length} events)`);

  const logged = new Map(events.map((event) => [event.event_id, event]));
  const blocked = results.filter((result) => result.block !== null);
  const missing = blocked.filter(
    (result) => result.block.eventId && !logged.has(result.block.eventId),
  );
  for (const { request, block } of missing) {
    console.log(
      `WARNING: event ${block.eventId} of blocked request ${request.id} is not in the log`,
    );
  }
  for (const event of events) {
    const absent = requiredEventFields.filter((field) => event[field] === undefined);
    if (absent.length > 0) {
      console.log(`WARNING: event ${event.event_id} lacks ${absent.join(", ")}`);
    }
  }

  const sample = blocked.map((result) => logged.get(result.block.eventId)).find(Boolean);
  if (sample) console.log(`Sample event:\n${JSON.stringify(sample, null, 2)}`);
}

async function fail(error) {
  // The watchdog or a signal may fire while main() is still running, and main() then fails too.
  if (failing) return;
  failing = true;

  console.error(`\nDemo failed: ${error.message}`);
  if (app) {
    console.error(`Last stderr of ${app.label}:\n${app.stderr().trim() || "(empty)"}`);
    await app.stop();
  }
  process.exit(1);
}
