import assert from "node:assert/strict";
import { test } from "node:test";

import { BoundedQueue } from "../../src/telemetry/bounded-queue";
import { Deduplicator, maxTrackedEvents } from "../../src/telemetry/dedup";
import type { DropReason, EventExporter } from "../../src/telemetry/exporter";
import { metricsSnapshot } from "../../src/telemetry/metrics";
import { TelemetryPipeline } from "../../src/telemetry/pipeline";
import { RateBudget } from "../../src/telemetry/rate-budget";
import type { SecurityEvent } from "../../src/telemetry/security-event";

function attackEvent(id: string, inputPath = "query.name", clientIp = "127.0.0.1"): SecurityEvent {
  return {
    time: new Date(0).toISOString(),
    event_id: id,
    attack_type: "sql_injection",
    sink: "pg.query",
    action: "blocked",
    reason: "spans-tokens",
    input: { source: "query", path: inputPath, value: "' OR 1=1", length: 8 },
    operation: "SELECT 1",
    request: {
      method: "GET",
      path: "/users/7",
      route: "/users/:id",
      client_ip: clientIp,
      request_id: id,
      user_agent: undefined,
    },
    stack: [],
    agent: { name: "rampart", version: "0.0.0", mode: "block" },
  };
}

class RecordingExporter implements EventExporter {
  readonly events: SecurityEvent[] = [];
  constructor(
    readonly name: string,
    readonly deduplicated: boolean,
    private readonly capacity = Infinity,
  ) {}
  enqueue(event: SecurityEvent): DropReason | undefined {
    if (this.events.length >= this.capacity) return "queue_full";
    this.events.push(event);
    return undefined;
  }
  close(): void {}
}

function droppedCount(exporter: string, reason: string): number {
  return (
    metricsSnapshot().droppedEvents.find(
      (sample) => sample.labels.exporter === exporter && sample.labels.reason === reason,
    )?.value ?? 0
  );
}

test("dedup sends first then summary", () => {
  let now = 1_000;
  const sent: SecurityEvent[] = [];
  const deduplicator = new Deduplicator(
    60_000,
    (event) => sent.push(event),
    () => now,
  );
  const dedupedBefore = metricsSnapshot().deduplicatedEvents;

  for (let index = 0; index < 5; index++) deduplicator.add(attackEvent(`e${index}`));
  assert.deepEqual(
    sent.map((event) => event.event_id),
    ["e0"],
    "first event goes out at once",
  );
  assert.equal(metricsSnapshot().deduplicatedEvents - dedupedBefore, 4);

  now += 60_000;
  deduplicator.sweep();
  assert.equal(sent.length, 2);
  assert.equal(sent[1]!.count, 4);
  assert.equal(sent[1]!.first_event_id, "e0");
  assert.notEqual(sent[1]!.event_id, "e0");
  assert.equal(deduplicator.size, 0);
});

test("dedup key includes path and client", () => {
  const sent: SecurityEvent[] = [];
  const deduplicator = new Deduplicator(
    60_000,
    (event) => sent.push(event),
    () => 0,
  );
  deduplicator.add(attackEvent("a"));
  deduplicator.add(attackEvent("b", "query.other"));
  deduplicator.add(attackEvent("c", "query.name", "10.0.0.9"));
  deduplicator.add(attackEvent("d"));
  assert.deepEqual(
    sent.map((event) => event.event_id),
    ["a", "b", "c"],
  );
  deduplicator.sweep(true);
  assert.equal(sent.at(-1)!.count, 1);
});

test("dedup window zero passes all", () => {
  const sent: SecurityEvent[] = [];
  const deduplicator = new Deduplicator(0, (event) => sent.push(event));
  deduplicator.add(attackEvent("a"));
  deduplicator.add(attackEvent("b"));
  assert.equal(sent.length, 2);
});

test("dedup memory bounded by tracked keys", () => {
  const sent: SecurityEvent[] = [];
  const deduplicator = new Deduplicator(
    60_000,
    (event) => sent.push(event),
    () => 0,
  );
  for (let index = 0; index < maxTrackedEvents + 500; index++)
    deduplicator.add(attackEvent(`e${index}`, `query.p${index}`));
  assert.equal(deduplicator.size, maxTrackedEvents);
  assert.equal(sent.length, maxTrackedEvents + 500, "untracked identities pass through");
  deduplicator.sweep(true);
});

test("rate budget refills per second", () => {
  let now = 0;
  const budget = new RateBudget(3, () => now);
  assert.deepEqual(
    [budget.take(), budget.take(), budget.take(), budget.take()],
    [true, true, true, false],
  );
  now += 500;
  assert.equal(budget.take(), true, "half a second refills half the budget");
  now += 10_000;
  let taken = 0;
  while (budget.take()) taken++;
  assert.equal(taken, 3, "unused budget does not pile up past one second");
});

test("bounded queue keeps order and capacity", () => {
  const queue = new BoundedQueue<number>(3);
  assert.deepEqual(
    [queue.push(1), queue.push(2), queue.push(3), queue.push(4)],
    [true, true, true, false],
  );
  assert.equal(queue.shift(), 1);
  queue.unshift(1);
  assert.deepEqual(queue.drain(), [1, 2, 3]);
  assert.equal(queue.length, 0);
});

test("pipeline counts drops per exporter", () => {
  const everyEvent = new RecordingExporter("test-all", false, 5);
  const deduped = new RecordingExporter("test-dedup", true);
  const pipeline = new TelemetryPipeline(
    [
      { exporter: everyEvent, perSecond: 8 },
      { exporter: deduped, perSecond: 100 },
    ],
    60_000,
    0,
  );

  for (let index = 0; index < 20; index++)
    pipeline.publish(attackEvent(`p${index}`, "query.pipeline"));

  assert.equal(everyEvent.events.length, 5);
  assert.equal(droppedCount("test-all", "queue_full"), 3, "budget of 8, queue of 5");
  assert.equal(droppedCount("test-all", "rate_limited"), 12);
  assert.equal(deduped.events.length, 1, "repeats are folded");

  pipeline.close();
  assert.equal(deduped.events.length, 2);
  assert.equal(deduped.events[1]!.count, 19);
});

test("pipeline survives a throwing exporter", () => {
  const broken: EventExporter = {
    name: "test-broken",
    deduplicated: false,
    enqueue: () => {
      throw new Error("exporter fault");
    },
    close: () => {},
  };
  const healthy = new RecordingExporter("test-healthy", false);
  const pipeline = new TelemetryPipeline(
    [
      { exporter: broken, perSecond: 100 },
      { exporter: healthy, perSecond: 100 },
    ],
    0,
    0,
  );
  assert.doesNotThrow(() => pipeline.publish(attackEvent("x")));
  assert.equal(healthy.events.length, 1);
  assert.equal(droppedCount("test-broken", "queue_full"), 1);
});
