import http from "node:http";
import https from "node:https";

import { contextStorage } from "../context/storage";
import { reportInternalError } from "../failsafe";
import { log } from "../log";
import { agentVersion } from "../version";
import { BoundedQueue } from "./bounded-queue";
import type { DropReason, EventExporter } from "./exporter";
import { countDroppedEvents } from "./metrics";
import type { SecurityEvent } from "./security-event";

/** Maximum number of events waiting for the webhook; beyond it events are dropped as `queue_full`. */
export const maxWebhookQueue = 1000;

/** First retry delay in milliseconds; each retry doubles it, up to `maxBackoffMs`. */
const baseBackoffMs = 250;
const maxBackoffMs = 30_000;

export interface WebhookOptions {
  readonly url: URL;
  readonly format: "json" | "slack";
  readonly timeoutMs: number;
  /** Attempts after the first one failed. */
  readonly retries: number;
  /** Delay before retry `attempt` (1-based), in milliseconds; tests pass a shorter one. */
  readonly backoffMs?: (attempt: number) => number;
}

type Outcome = "delivered" | "retry" | "rejected";

/** Exponential backoff with up to 20 % jitter, so that restarted agents do not retry in step. */
export function exponentialBackoff(attempt: number): number {
  const delay = Math.min(maxBackoffMs, baseBackoffMs * 2 ** (attempt - 1));
  return delay + Math.random() * delay * 0.2;
}

/** Escapes the three characters that Slack's mrkdwn treats as markup. */
function escapeSlack(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Builds a Slack incoming-webhook message: one `text` field in Slack's mrkdwn. */
export function slackMessage(event: SecurityEvent): { text: string } {
  const request = event.request;
  const where =
    request === null
      ? "outside any request"
      : `${request.method ?? "?"} ${request.route ?? request.path} from ${request.client_ip ?? "unknown"}`;
  const lines = [
    `*Rampart ${event.action} ${event.attack_type}* at \`${escapeSlack(event.sink)}\``,
    escapeSlack(where),
    `input: ${escapeSlack(event.input === null ? "(none)" : `${event.input.path} = ${event.input.value}`)}`,
    `event: ${event.event_id}${event.count === undefined ? "" : `, ${event.count} more like it since ${event.first_time ?? "?"}`}`,
  ];
  if (event.trace_id !== undefined) lines.push(`trace: ${event.trace_id}`);
  return { text: lines.join("\n") };
}

/**
 * Posts each event to an HTTP endpoint, one request per event, from a bounded queue. Failed
 * requests (network error, timeout, HTTP 429 or 5xx) are retried with exponential backoff; other
 * HTTP errors are final. Sockets are unreferenced, so the exporter never keeps the app alive.
 */
export class WebhookExporter implements EventExporter {
  readonly name = "webhook";
  readonly deduplicated = true;
  delivered = 0;

  private readonly queue = new BoundedQueue<SecurityEvent>(maxWebhookQueue);
  private sending = false;
  private closed = false;
  private failureLogged = false;
  /** Callers of `flush` waiting for the queue to empty. */
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: WebhookOptions) {}

  enqueue(event: SecurityEvent): DropReason | undefined {
    if (!this.queue.push(event)) return "queue_full";
    this.startSending();
    return undefined;
  }

  /** Resolves once every queued event was delivered or given up on, retries included. */
  flushQueued(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    // NOTE: events still queued at exit are counted as dropped; an HTTP request cannot finish in an exit handler.
    const pending = this.queue.drain().length;
    if (pending > 0) countDroppedEvents(this.name, "delivery_failed", pending);
  }

  private startSending(): void {
    if (this.sending || this.closed) return;
    this.sending = true;
    // The requests must not run in the context of the request whose event started them.
    contextStorage.exit(() => {
      setImmediate(() => {
        this.sendQueued()
          .catch((error: unknown) => reportInternalError("telemetry.webhook", error))
          .finally(() => {
            this.sending = false;
            if (this.queue.length > 0) this.startSending();
            else for (const resolve of this.idleWaiters.splice(0)) resolve();
          });
      });
    });
  }

  private async sendQueued(): Promise<void> {
    for (let event = this.queue.shift(); event !== undefined; event = this.queue.shift()) {
      if (this.closed) return;
      const outcome = await this.sendWithRetries(event);
      if (outcome === "delivered") this.delivered++;
      else countDroppedEvents(this.name, outcome === "rejected" ? "rejected" : "delivery_failed");
    }
  }

  private async sendWithRetries(event: SecurityEvent): Promise<Outcome> {
    const body = JSON.stringify(this.options.format === "slack" ? slackMessage(event) : event);
    const backoff = this.options.backoffMs ?? exponentialBackoff;

    let outcome: Outcome = "retry";
    for (let attempt = 0; attempt <= this.options.retries && !this.closed; attempt++) {
      if (attempt > 0) await sleep(backoff(attempt));
      outcome = await this.post(body);
      if (outcome !== "retry") break;
    }
    return outcome;
  }

  private post(body: string): Promise<Outcome> {
    const { url, timeoutMs } = this.options;
    const client = url.protocol === "https:" ? https : http;

    return new Promise((resolve) => {
      const request = client.request(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": `rampart/${agentVersion}`,
        },
        timeout: timeoutMs,
      });
      request.on("socket", (socket) => socket.unref());
      request.on("timeout", () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      request.on("error", (error) => {
        this.logFailure(error.message);
        resolve("retry");
      });
      request.on("response", (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve("delivered");
        else if (status === 429 || status >= 500) resolve("retry");
        else {
          this.logFailure(`HTTP ${status}`);
          resolve("rejected");
        }
      });
      request.end(body);
    });
  }

  /** Logs the first failure only; later ones show in rampart_events_dropped_total and the drop warning. */
  private logFailure(message: string): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    log.warn(
      { exporter: this.name, host: this.options.url.host, err: message },
      "webhook delivery failed; the exporter retries, and later failures are only counted",
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
