import type { SecurityEvent } from "./security-event";

/** Reason an exporter did not deliver an event, the `reason` label of rampart_events_dropped_total. */
export type DropReason =
  /** The per-second budget of the exporter was spent. */
  | "rate_limited"
  /** The exporter's queue was full, usually because its receiver is slow or down. */
  | "queue_full"
  /** Every attempt failed (connection refused, timeout, HTTP 5xx) and retries ran out. */
  | "delivery_failed"
  /** The receiver refused the event for good (HTTP 4xx other than 429). */
  | "rejected";

/** A destination of security events. `name` is the `exporter` label of the drop metric. */
export interface EventExporter {
  readonly name: string;
  /** When false, the exporter receives every event; when true, repeats are folded into summaries. */
  readonly deduplicated: boolean;
  /**
   * Queues one redacted event and returns quickly, because network and file work happens later,
   * off the request path. Returns a drop reason when the event cannot be queued. The pipeline
   * counts an exception here as `queue_full`.
   */
  enqueue(event: SecurityEvent): DropReason | undefined;
  /**
   * Resolves once the events queued so far are delivered or given up on, for processes that may be
   * frozen after each unit of work (AWS Lambda). Optional: exporters without it are not waited for.
   */
  flushQueued?(): Promise<void>;
  /** Writes what can be written synchronously and releases sockets and files; called at exit. */
  close(): void;
}
