import { contextStorage } from "../context/storage";
import { reportInternalError } from "../failsafe";
import { log } from "../log";
import type { DropReason, EventExporter } from "../telemetry/exporter";
import { countDroppedEvents } from "../telemetry/metrics";
import type { SecurityEvent } from "../telemetry/security-event";
import { retryAfterMs, retryDelayMs } from "./backoff";
import { ControlHttpError, type ControlClient } from "./client";
import { EventBuffer } from "./event-buffer";
import { controlExporterName } from "./policy-stats";

/** Events sent at once: a batch leaves when this many are buffered, or `sendIntervalMs` after the first. */
export const batchTriggerEvents = 100;
export const sendIntervalMs = 1000;
/** Maximum events in one batch, the control plane's limit. */
export const maxBatchEvents = 1000;
/** Most bytes of one batch body, below the control plane's 4 MiB limit. */
const maxBatchBytes = 3.5 * 1024 * 1024;
/**
 * Forensic snapshots kept for the next batches; a full queue drops its oldest (counted under the
 * exporter `control_snapshots`). Each batch carries up to this many, the control plane's limit being 50.
 */
export const maxQueuedSnapshots = 20;
/** Exporter name under which dropped snapshots are counted in rampart_events_dropped_total. */
export const snapshotExporterName = "control_snapshots";

/**
 * Sends security events to the control plane in batches, from a bounded buffer that drops its
 * oldest events when full (counted as `queue_full`). A `429` is retried after its `Retry-After`,
 * a `5xx` or network error after a capped exponential backoff; other refusals drop the batch
 * (counted as `rejected`). Sending runs on unreferenced timers outside any request context.
 */
export class ControlEventShipper implements EventExporter {
  readonly name = controlExporterName;
  readonly deduplicated = false;
  delivered = 0;

  private readonly buffer: EventBuffer<SecurityEvent>;
  /** Snapshots waiting to go with the next batch, oldest first. */
  private snapshots: object[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private closed = false;
  private failures = 0;
  private rejectionLogged = false;
  /** Callers of `flushQueued` waiting for the buffer to empty or a delivery to fail. */
  private waiters: Array<() => void> = [];

  constructor(
    private readonly client: ControlClient,
    capacity: number,
  ) {
    this.buffer = new EventBuffer(capacity);
  }

  get buffered(): number {
    return this.buffer.length;
  }

  enqueue(event: SecurityEvent): DropReason | undefined {
    if (this.closed) return "delivery_failed";
    const dropped = this.buffer.push(event);
    if (dropped > 0) countDroppedEvents(this.name, "queue_full", dropped);
    // While a failure backs off, the retry timer stays as it is.
    if (this.failures === 0)
      this.schedule(this.buffer.length >= batchTriggerEvents ? 0 : sendIntervalMs);
    return undefined;
  }

  /** Queues a forensic snapshot (already redacted) to go with the next batch of events. */
  attachSnapshot(snapshot: object): void {
    if (this.closed) return;
    this.snapshots.push(snapshot);
    if (this.snapshots.length > maxQueuedSnapshots) {
      this.snapshots.shift();
      countDroppedEvents(snapshotExporterName, "queue_full");
    }
    if (this.failures === 0) this.schedule(sendIntervalMs);
  }

  /** Resolves once the buffer is empty, or at the next failed delivery. */
  flushQueued(): Promise<void> {
    if (this.pending() === 0 && !this.sending) return Promise.resolve();
    this.schedule(0);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    // NOTE: events still buffered at exit are counted as dropped; an HTTP call cannot finish in an exit handler.
    const pending = this.buffer.drain().length;
    if (pending > 0) countDroppedEvents(this.name, "delivery_failed", pending);
    if (this.snapshots.length > 0) {
      countDroppedEvents(snapshotExporterName, "delivery_failed", this.snapshots.length);
      this.snapshots = [];
    }
    this.wake();
  }

  /** Sends at once what is buffered, when the control plane came back (a successful poll or heartbeat). */
  resume(): void {
    if (this.failures === 0 || this.pending() === 0) return;
    this.failures = 0;
    this.schedule(0, true);
  }

  private schedule(delayMs: number, replace = false): void {
    if (this.closed || this.sending) return;
    if (this.timer !== undefined) {
      if (!replace) return;
      clearTimeout(this.timer);
    }
    contextStorage.exit(() => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.sendAll().catch((error: unknown) => {
          // Registration ends with an error only when the client is stopped.
          if (!this.client.isClosed) reportInternalError("telemetry.control", error);
        });
      }, delayMs);
      this.timer.unref();
    });
  }

  private async sendAll(): Promise<void> {
    this.sending = true;
    let retryInMs: number | undefined;
    try {
      while (this.pending() > 0 && !this.closed) {
        retryInMs = await this.sendBatch();
        if (retryInMs !== undefined) break;
      }
    } finally {
      this.sending = false;
    }

    if (retryInMs !== undefined) {
      this.wake();
      this.schedule(retryInMs);
    } else if (this.pending() === 0) this.wake();
    else this.schedule(sendIntervalMs);
  }

  /** Events and snapshots waiting to be sent. */
  private pending(): number {
    return this.buffer.length + this.snapshots.length;
  }

  /** Sends one batch; returns the delay before a retry when it must be sent again. */
  private async sendBatch(): Promise<number | undefined> {
    const id = await this.client.registered();
    const batch = this.takeBatch();
    const snapshots = this.snapshots;
    this.snapshots = [];

    let failure: Error;
    let retryAfter: number | undefined;
    try {
      const response = await this.client.call("POST", `api/agents/${id}/events`, {
        body: snapshots.length === 0 ? { events: batch } : { events: batch, snapshots },
      });
      if (response.status === 202 || response.status === 200) {
        this.accepted(batch.length, response.body);
        return undefined;
      }
      if (response.status === 404) this.client.forgetRegistration(id);
      const retryable =
        response.status === 404 ||
        response.status === 401 ||
        response.status === 403 ||
        response.status === 429 ||
        response.status >= 500;
      if (!retryable) {
        this.refused(batch.length, response.status);
        if (snapshots.length > 0)
          countDroppedEvents(snapshotExporterName, "rejected", snapshots.length);
        return undefined;
      }
      failure = new ControlHttpError(response.status, response);
      retryAfter = retryAfterMs(response.headers["retry-after"]);
      // A busy or failing control plane still responds, so this is not an outage of the connection.
      if (response.status === 429 || response.status >= 500) this.logBusy(failure.message);
      else this.client.health.failed("events", failure.message);
    } catch (error) {
      failure = error as Error;
      this.client.health.failed("events", failure.message);
    }

    const dropped = this.buffer.putBack(batch);
    if (dropped > 0) countDroppedEvents(this.name, "queue_full", dropped);
    this.putBackSnapshots(snapshots);
    this.failures += 1;
    return retryAfter ?? retryDelayMs(this.failures);
  }

  /** Returns unsent snapshots to the front of the queue, keeping the newest within its bound. */
  private putBackSnapshots(unsent: object[]): void {
    if (unsent.length === 0) return;
    const merged = [...unsent, ...this.snapshots];
    const excess = merged.length - maxQueuedSnapshots;
    if (excess > 0) countDroppedEvents(snapshotExporterName, "queue_full", excess);
    this.snapshots = excess > 0 ? merged.slice(excess) : merged;
  }

  /** Logs the first busy or failed response of a run of them. */
  private logBusy(reason: string): void {
    if (this.failures > 0) return;
    log.warn(
      { exporter: this.name, err: reason, buffered: this.buffer.length },
      "the control plane did not take a batch of events; retrying with backoff",
    );
  }

  /** Takes the next batch: at most `maxBatchEvents` events and about `maxBatchBytes` of JSON. */
  private takeBatch(): SecurityEvent[] {
    const batch = this.buffer.take(maxBatchEvents);
    let bytes = 0;
    for (let index = 0; index < batch.length; index++) {
      bytes += Buffer.byteLength(JSON.stringify(batch[index]));
      // The first event always goes, so one large event cannot stop the queue.
      if (index > 0 && bytes > maxBatchBytes) {
        this.buffer.putBack(batch.slice(index));
        return batch.slice(0, index);
      }
    }
    return batch;
  }

  private accepted(sent: number, body: unknown): void {
    this.failures = 0;
    this.client.health.succeeded();
    const result = body as { accepted?: unknown; duplicates?: unknown; rejected?: unknown };
    const rejected = typeof result?.rejected === "number" ? result.rejected : 0;
    this.delivered += sent - rejected;
    if (rejected > 0) countDroppedEvents(this.name, "rejected", rejected);
  }

  private refused(count: number, status: number): void {
    countDroppedEvents(this.name, "rejected", count);
    if (this.rejectionLogged) return;
    this.rejectionLogged = true;
    log.warn(
      { exporter: this.name, status, events: count },
      "the control plane refused a batch of events; it is dropped, and later refusals are only counted",
    );
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
