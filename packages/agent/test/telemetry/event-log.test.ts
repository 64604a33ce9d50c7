import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";

import { setLogLevel } from "../../src/log";
import { EventLog, maxQueuedLines } from "../../src/telemetry/event-log";
import type { SecurityEvent } from "../../src/telemetry/security-event";

const workDir = mkdtempSync(path.join(tmpdir(), "rampart-event-log-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

function sampleEvent(id: string): SecurityEvent {
  return { event_id: id, attack_type: "sql_injection" } as SecurityEvent;
}

test("events appended as JSON lines", async () => {
  const file = path.join(workDir, "events.jsonl");
  const eventLog = new EventLog({ file });
  eventLog.append(sampleEvent("a"));
  eventLog.append(sampleEvent("b"));

  await new Promise((resolve) => setTimeout(resolve, 50));
  eventLog.close();

  const lines = readFileSync(file, "utf8").trim().split("\n");
  assert.deepEqual(
    lines.map((line) => (JSON.parse(line) as SecurityEvent).event_id),
    ["a", "b"],
  );
  assert.equal(eventLog.written, 2);
});

test("append never writes synchronously", () => {
  const file = path.join(workDir, "deferred.jsonl");
  const eventLog = new EventLog({ file });
  eventLog.append(sampleEvent("later"));

  assert.equal(readFileSync(file, "utf8"), "", "nothing written during the request's own work");
  eventLog.close();
  assert.match(readFileSync(file, "utf8"), /"later"/);
});

test("unwritable file falls back to stderr", () => {
  setLogLevel("silent");
  const eventLog = new EventLog({ file: path.join(workDir, "missing-dir", "events.jsonl") });
  eventLog.append(sampleEvent("fallback"));
  eventLog.close();
  assert.equal(eventLog.written, 1);
});

test("queue is bounded and drops counted", () => {
  const file = path.join(workDir, "flood.jsonl");
  const eventLog = new EventLog({ file });
  for (let index = 0; index < maxQueuedLines + 25; index++)
    eventLog.append(sampleEvent(`e${index}`));

  assert.equal(eventLog.dropped, 25);
  eventLog.close();
  assert.equal(readFileSync(file, "utf8").trim().split("\n").length, maxQueuedLines);
});
