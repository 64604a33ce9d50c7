// Checks of what each Rampart exporter delivered in demo-telemetry.mjs: event counts and attack
// types, the run's secret absent from the raw bytes, and the run's trace id where it belongs.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

import { scrape, waitFor } from "./receivers.mjs";
import { exampleDir } from "./start-app.mjs";
import {
  countBy,
  eventFiles,
  parseCef,
  parsePrometheusSamples,
  parseSlackText,
  sumSamples,
} from "./telemetry-parse.mjs";
import {
  addRow,
  check,
  checkNoSecret,
  indent,
  parentSpanId,
  rawOf,
  traceId,
  traceMatch,
} from "./demo-verdict.mjs";

export const repoDir = join(exampleDir, "..", "..");
export const cliPath = join(repoDir, "packages", "agent", "dist", "cli", "main.js");
const promtoolPath = "/usr/bin/promtool";
/** How long to wait for an exporter to deliver, in ms. Webhook retries take about 1 s. */
export const deliveryTimeoutMs = 5000;

export async function checkJsonLines(run, eventsFile, events, secretEvent, tracedEvent) {
  const files = await eventFiles(eventsFile);
  const raw = (await Promise.all(files.map((file) => readFile(file, "utf8")))).join("");
  const leaks = checkNoSecret("JSON Lines", raw);

  check(
    files.length > 1,
    `JSON Lines: expected rotated files with RAMPART_EVENTS_MAX_BYTES=8192, found ${files.length} file`,
  );
  const withoutTrace = events.filter(
    (event) => event.request !== null && event.trace_id === undefined,
  );
  check(
    withoutTrace.length === 0,
    `JSON Lines: ${withoutTrace.length} request events lack trace_id`,
  );
  check(
    tracedEvent.trace_id === traceId,
    `JSON Lines: traced event has trace_id ${tracedEvent.trace_id}, expected ${traceId}`,
  );
  check(
    JSON.stringify(secretEvent).includes("[redacted"),
    "JSON Lines: the secret request's event shows no [redacted ...] mask",
  );

  console.log(
    `JSON Lines (run ${run}): ${events.length} events in ${files.length} files (rotated)`,
  );
  console.log(
    `  attack types: ${countBy(events, (event) => `${event.attack_type}/${event.action}`)}`,
  );
  console.log(`  operation of the secret request: ${secretEvent.operation}`);
  addRow(
    "JSON Lines",
    `${events.length} in ${files.length} files`,
    leaks,
    traceMatch(tracedEvent.trace_id),
    "not stopped",
  );
}

export async function checkJsonWebhook(receiver, events, identities, secretEvent, tracedEvent) {
  let received = [];
  await waitFor(() => {
    received = receiver.received.map((entry) => JSON.parse(entry.raw));
    return received.length >= identities.size;
  }, deliveryTimeoutMs);

  const known = new Set(events.map((event) => event.event_id));
  const unknown = received.filter((event) => !known.has(event.event_id));
  const traced = received.find((event) => event.event_id === tracedEvent.event_id);
  const leaks = checkNoSecret(receiver.label, rawOf(receiver));

  check(
    received.length === identities.size,
    `${receiver.label}: received ${received.length} events, expected ${identities.size} (one per deduplication identity)`,
  );
  check(
    unknown.length === 0,
    `${receiver.label}: ${unknown.length} events are not in the JSON Lines log`,
  );
  check(
    received.some((event) => event.event_id === secretEvent.event_id),
    `${receiver.label}: the secret request's event was not delivered`,
  );
  check(
    traced?.trace_id === traceId,
    `${receiver.label}: traced event has trace_id ${traced?.trace_id}, expected ${traceId}`,
  );

  console.log(
    `${receiver.label}: ${received.length} POSTs to ${receiver.received[0]?.path ?? "(none)"}`,
  );
  console.log(`  attack types: ${countBy(received, (event) => event.attack_type)}`);
  addRow(receiver.label, String(received.length), leaks, traceMatch(traced?.trace_id));
}

export async function checkSlackWebhook(receiver, events, identities, secretEvent, tracedEvent) {
  let received = [];
  await waitFor(() => {
    received = receiver.received.map((entry) => ({
      ...parseSlackText(JSON.parse(entry.raw).text),
      raw: entry.raw,
    }));
    return received.length >= identities.size;
  }, deliveryTimeoutMs);

  const known = new Set(events.map((event) => event.event_id));
  const traced = received.find((message) => message.eventId === tracedEvent.event_id);
  const leaks = checkNoSecret(receiver.label, rawOf(receiver));

  check(
    received.length === identities.size,
    `${receiver.label}: received ${received.length} messages, expected ${identities.size}`,
  );
  check(
    received.every((message) => known.has(message.eventId)),
    `${receiver.label}: a message names an event id that is not in the JSON Lines log`,
  );
  check(
    received.every((message) => message.attackType !== null),
    `${receiver.label}: a message lacks "*Rampart <action> <attack type>*"`,
  );
  check(
    received.some((message) => message.eventId === secretEvent.event_id),
    `${receiver.label}: the secret request's message was not delivered`,
  );
  check(
    traced?.traceId === traceId,
    `${receiver.label}: traced message has "trace: ${traced?.traceId}", expected ${traceId}`,
  );

  console.log(`${receiver.label}: ${received.length} messages; first one:`);
  console.log(indent(JSON.parse(receiver.received[0]?.raw ?? '{"text":""}').text));
  console.log(`  attack types: ${countBy(received, (message) => message.attackType)}`);
  addRow(receiver.label, String(received.length), leaks, traceMatch(traced?.traceId));
}

export async function checkCefSyslog(receiver, events, identities, secretEvent, tracedEvent) {
  let records = [];
  await waitFor(() => {
    records = receiver.received.map((entry) => parseCef(entry.raw));
    return records.length >= identities.size;
  }, deliveryTimeoutMs);

  const known = new Set(events.map((event) => event.event_id));
  const traced = records.find((record) => record?.fields.externalId === tracedEvent.event_id);
  const leaks = checkNoSecret(receiver.label, rawOf(receiver));

  check(
    records.length === identities.size,
    `${receiver.label}: received ${records.length} messages, expected ${identities.size}`,
  );
  check(
    records.every((record) => record !== null),
    `${receiver.label}: a message has no CEF record`,
  );
  check(
    records.every((record) => known.has(record?.fields.externalId)),
    `${receiver.label}: an externalId is not in the JSON Lines log`,
  );
  check(
    records.some((record) => record?.fields.externalId === secretEvent.event_id),
    `${receiver.label}: the secret request's message was not delivered`,
  );
  check(
    traced?.fields.cs6 === traceId,
    `${receiver.label}: traced message has cs6=${traced?.fields.cs6}, expected ${traceId}`,
  );

  console.log(`${receiver.label}: ${records.length} messages; first one:`);
  console.log(indent(receiver.received[0]?.raw.slice(0, 400) ?? "(none)"));
  console.log(`  attack types: ${countBy(records, (record) => record?.signatureId)}`);
  addRow(receiver.label, String(records.length), leaks, traceMatch(traced?.fields.cs6));
}

export async function checkOtel(receiver, events, secretEvent, tracedEvent) {
  const requestEvents = events.filter((event) => event.request !== null);
  let spans = [];
  let spanEvents = [];
  await waitFor(() => {
    spans = receiver.received
      .filter((entry) => entry.path === "/spans")
      .flatMap((entry) => JSON.parse(entry.raw).spans);
    spanEvents = spans.flatMap((span) =>
      span.events
        .filter((event) => event.name === "rampart.security_event")
        .map((event) => ({ span, attributes: event.attributes })),
    );
    return spanEvents.length >= requestEvents.length;
  }, deliveryTimeoutMs);

  // Every logged event must sit in the span whose trace id it carries.
  const spanOf = new Map(
    spanEvents.map(({ span, attributes }) => [attributes["rampart.event_id"], span]),
  );
  const mismatched = requestEvents.filter(
    (event) => spanOf.get(event.event_id)?.traceId !== event.trace_id,
  );
  const tracedSpan = spanOf.get(tracedEvent.event_id);
  const leaks = checkNoSecret("OpenTelemetry spans", rawOf(receiver));

  check(
    spanEvents.length === requestEvents.length,
    `OpenTelemetry: ${spanEvents.length} span events, expected ${requestEvents.length}`,
  );
  check(
    mismatched.length === 0,
    `OpenTelemetry: ${mismatched.length} events are missing from the span of their trace_id`,
  );
  check(
    spanOf.has(secretEvent.event_id),
    "OpenTelemetry: the secret request's span event is missing",
  );
  check(
    tracedSpan?.traceId === traceId,
    `OpenTelemetry: traced span has trace id ${tracedSpan?.traceId}, expected ${traceId}`,
  );
  check(
    tracedSpan?.parentSpanId === parentSpanId,
    `OpenTelemetry: traced span's parent is ${tracedSpan?.parentSpanId}, expected ${parentSpanId}`,
  );

  const detectionPoints = await waitForOtelDetections(receiver, events.length);
  console.log(
    `OpenTelemetry: ${spans.length} spans, ${spanEvents.length} rampart.security_event span events`,
  );
  console.log(
    `  attack types: ${countBy(spanEvents, ({ attributes }) => attributes["rampart.attack_type"])}`,
  );
  console.log(`  metric rampart.detections: ${detectionPoints}`);
  addRow("OpenTelemetry spans", String(spanEvents.length), leaks, traceMatch(tracedSpan?.traceId));
}

/** Waits for a metric export whose rampart.detections points add up to `expected`. */
async function waitForOtelDetections(receiver, expected) {
  let total = 0;
  let description = "(no export)";
  const arrived = await waitFor(() => {
    const exports = receiver.received.filter((entry) => entry.path === "/metrics");
    const latest = exports.at(-1);
    if (latest === undefined) return false;
    const points = JSON.parse(latest.raw).points.filter(
      (point) => point.name === "rampart.detections",
    );
    total = points.reduce((sum, point) => sum + point.value, 0);
    description = points
      .map(
        (point) =>
          `${point.attributes["rampart.attack_type"]}/${point.attributes["rampart.action"]}: ${point.value}`,
      )
      .sort()
      .join(", ");
    return total >= expected;
  }, 3000);
  check(
    arrived && total === expected,
    `OpenTelemetry metrics: rampart.detections adds up to ${total}, expected ${expected}`,
  );
  return `${total} (${description})`;
}

export async function checkPrometheus(metricsUrl, events) {
  const text = await scrape(metricsUrl);
  const samples = parsePrometheusSamples(text);
  const leaks = checkNoSecret("Prometheus text", text);

  const expected = new Map();
  for (const event of events) {
    const key = `${event.attack_type}/${event.action}`;
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  for (const [key, count] of expected) {
    const [attackType, action] = key.split("/");
    const value = sumSamples(samples, "rampart_detections_total", {
      attack_type: attackType,
      action,
    });
    check(
      value === count,
      `Prometheus: rampart_detections_total{attack_type="${attackType}",action="${action}"} is ${value}, expected ${count}`,
    );
  }
  const total = sumSamples(samples, "rampart_detections_total");
  check(
    total === events.length,
    `Prometheus: rampart_detections_total adds up to ${total}, expected ${events.length}`,
  );

  const lint = await runPromtool(text);
  console.log(`Prometheus ${metricsUrl}: rampart_detections_total = ${total}; promtool: ${lint}`);
  for (const sample of samples.filter((entry) => entry.name === "rampart_detections_total"))
    console.log(
      `  rampart_detections_total{attack_type="${sample.labels.attack_type}",action="${sample.labels.action}"} ${sample.value}`,
    );
  addRow("Prometheus /metrics", `${total} detections`, leaks, "n/a");
  return text;
}

async function runPromtool(text) {
  if (!existsSync(promtoolPath)) return "not installed, skipped";
  const result = await runCommand(promtoolPath, ["check", "metrics"], text);
  check(
    result.code === 0,
    `promtool check metrics failed (exit ${result.code}): ${result.stdout}${result.stderr}`,
  );
  return result.code === 0 ? "check metrics passed" : "check metrics FAILED";
}

export async function checkSnapshots(snapshotsDir, events, secretEvent) {
  const blocked = events.filter((event) => event.action === "blocked");
  let files = [];
  await waitFor(async () => {
    files = (await readdir(snapshotsDir).catch(() => [])).filter((name) => name.endsWith(".json"));
    return files.length >= blocked.length;
  }, deliveryTimeoutMs);

  const raw = (
    await Promise.all(files.map((name) => readFile(join(snapshotsDir, name), "utf8")))
  ).join("\n");
  const leaks = checkNoSecret("snapshots", raw);
  const missing = blocked.filter((event) => !files.includes(`${event.event_id}.json`));
  check(
    missing.length === 0,
    `snapshots: ${missing.length} of ${blocked.length} blocked events have no snapshot`,
  );

  const shown = await runCommand(process.execPath, [
    cliPath,
    "report",
    "--snapshot",
    secretEvent.event_id,
    "--snapshots",
    snapshotsDir,
  ]);
  check(shown.code === 0, `rampart report --snapshot exited ${shown.code}: ${shown.stderr}`);
  check(
    shown.stdout.includes(secretEvent.event_id),
    "rampart report --snapshot does not show the event id",
  );
  const shownLeaks = checkNoSecret("rampart report --snapshot", shown.stdout);

  console.log(`Snapshots: ${files.length} files for ${blocked.length} blocked events`);
  console.log(
    `$ rampart report --snapshot ${secretEvent.event_id} --snapshots ${relative(repoDir, snapshotsDir)}`,
  );
  console.log(indent(shown.stdout.trimEnd()));
  addRow("snapshots", `${files.length} files`, leaks + shownLeaks, "n/a", "not stopped");
}

/** Runs a command in the repository root with `input` on stdin; resolves with its exit code and output. */
export function runCommand(command, args, input) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoDir, stdio: ["pipe", "pipe", "pipe"] });
    const output = { stdout: "", stderr: "" };
    child.stdout.on("data", (chunk) => (output.stdout += chunk));
    child.stderr.on("data", (chunk) => (output.stderr += chunk));
    child.on("error", (error) => resolve({ code: -1, stdout: "", stderr: error.message }));
    child.on("close", (code) => resolve({ code, ...output }));
    child.stdin.end(input ?? "");
  });
}
