import { contextStorage } from "../context/storage";
import { failOpen, reportInternalError } from "../failsafe";
import { log } from "../log";
import { Deduplicator } from "./dedup";
import type { EventExporter } from "./exporter";
import { countDroppedEvents, droppedEventTotals } from "./metrics";
import { RateBudget } from "./rate-budget";
import { redactEvent } from "./redact";
import type { SecurityEvent } from "./security-event";

/** An exporter with its per-second budget. */
export interface PipelineExporter {
  readonly exporter: EventExporter;
  /** Events per second that the exporter accepts; beyond it events are dropped as `rate_limited`. */
  readonly perSecond: number;
}

interface Lane {
  readonly exporter: EventExporter;
  readonly budget: RateBudget;
}

/**
 * Takes every security event and hands it to the exporters: budget check, deduplication for the
 * exporters that want it, redaction, then each exporter's bounded queue. Whatever is not delivered
 * is counted per exporter and reason, and a warning summarizes new drops periodically.
 */
export class TelemetryPipeline {
  private readonly everyEvent: Lane[] = [];
  private readonly deduplicated: Lane[] = [];
  private readonly deduplicator: Deduplicator;
  private warningTimer: NodeJS.Timeout | undefined;
  private reportedDrops = new Map<string, number>();

  constructor(
    exporters: readonly PipelineExporter[],
    dedupWindowMs: number,
    private readonly dropWarningIntervalMs: number,
  ) {
    for (const { exporter, perSecond } of exporters) {
      const lane = { exporter, budget: new RateBudget(perSecond) };
      (exporter.deduplicated ? this.deduplicated : this.everyEvent).push(lane);
    }
    this.deduplicator = new Deduplicator(dedupWindowMs, (event) =>
      this.deliver(event, this.deduplicated),
    );
  }

  /** Exporter names in delivery order, for the start log. */
  exporterNames(): string[] {
    return [...this.everyEvent, ...this.deduplicated].map((lane) => lane.exporter.name);
  }

  /** Takes one event as the guard published it. Never throws. */
  publish(event: SecurityEvent): void {
    failOpen("telemetry.publish", undefined, () => {
      this.deliver(event, this.everyEvent);
      if (this.deduplicated.length > 0) this.deduplicator.add(event);
    });
  }

  /**
   * Resolves once every exporter that supports it delivered the events queued so far. Callers
   * bound the wait themselves, because a network exporter may retry for seconds.
   */
  async flush(): Promise<void> {
    const flushes = [...this.everyEvent, ...this.deduplicated].map((lane) =>
      lane.exporter.flushQueued?.().catch((error: unknown) => {
        reportInternalError(`telemetry.flush.${lane.exporter.name}`, error);
      }),
    );
    await Promise.all(flushes);
  }

  /** Sends pending deduplication summaries and closes every exporter; called at exit. */
  close(): void {
    this.deduplicator.sweep(true);
    for (const lane of [...this.everyEvent, ...this.deduplicated]) {
      failOpen(`telemetry.close.${lane.exporter.name}`, undefined, () => lane.exporter.close());
    }
    this.reportDrops();
    if (this.warningTimer !== undefined) clearInterval(this.warningTimer);
  }

  /** Starts the periodic drop warning. */
  startDropWarnings(): void {
    if (this.dropWarningIntervalMs <= 0 || this.warningTimer !== undefined) return;
    // Timers started here must not carry the context of the request that happened to start them.
    contextStorage.exit(() => {
      this.warningTimer = setInterval(() => this.reportDrops(), this.dropWarningIntervalMs);
      this.warningTimer.unref();
    });
  }

  /** Logs one warning listing the events dropped since the last warning, per exporter and reason. */
  reportDrops(): void {
    const newDrops: Record<string, number> = {};
    let total = 0;
    for (const [key, value] of droppedEventTotals()) {
      const delta = value - (this.reportedDrops.get(key) ?? 0);
      if (delta <= 0) continue;
      newDrops[key.replace("\u0000", "/")] = delta;
      total += delta;
      this.reportedDrops.set(key, value);
    }
    if (total === 0) return;

    log.warn(
      { dropped: newDrops, total },
      "security events dropped (exporter/reason: count since the last warning); see rampart_events_dropped_total",
    );
  }

  private deliver(event: SecurityEvent, lanes: readonly Lane[]): void {
    if (lanes.length === 0) return;

    let redacted: SecurityEvent | undefined;
    for (const lane of lanes) {
      const name = lane.exporter.name;
      if (!lane.budget.take()) {
        countDroppedEvents(name, "rate_limited");
        continue;
      }

      // Redaction runs once, and only when some exporter takes the event.
      redacted ??= redactEvent(event);
      const reason = failOpen(`telemetry.${name}`, "queue_full" as const, () =>
        lane.exporter.enqueue(redacted!),
      );
      if (reason !== undefined) countDroppedEvents(name, reason);
    }
  }
}
