import { log } from "../log";
import { applyRemotePolicy, restoreLocalPolicy } from "../policy/runtime";
import { retryAfterMs, retryDelayMs, sleep } from "./backoff";
import { ControlHttpError, type ControlClient } from "./client";
import type { Heartbeat } from "./heartbeat";
import type { PolicyStats } from "./policy-stats";

/** Seconds that a policy request waits on the control plane for a change (its long poll). */
export const policyWaitSeconds = 25;
/** Time limit of one long poll: the wait plus time for a slow response, in milliseconds. */
const pollTimeoutMs = (policyWaitSeconds + 10) * 1000;
/**
 * Shortest time between two policy requests, in milliseconds. The control plane responds at
 * once to a request without an ETag and to one made right after a change, so this limit keeps
 * a control plane that responds at once every time from being polled in a tight loop.
 */
const minPollIntervalMs = 200;

/** Acknowledgement body: the version the agent runs, or a version it rejected with the problems. */
type Acknowledgement =
  | { readonly version: string | null }
  | { readonly version: string; readonly ok: false; readonly problems: readonly string[] };

interface Delivery {
  readonly version: string | null;
  readonly content: string | null;
}

function readDelivery(body: unknown): Delivery {
  const value = body as { version?: unknown; content?: unknown } | undefined;
  const version = value?.version;
  const content = value?.content;
  if (version === null && content === null) return { version: null, content: null };
  if (typeof version === "string" && typeof content === "string") return { version, content };
  throw new Error("the policy response has no version and content");
}

/**
 * Keeps the agent on the policy that the control plane assigns it: long polling with the ETag of
 * the last delivery, applying each new one as a policy file reload is applied, and acknowledging
 * the version applied (or rejected). While the control plane is unreachable, the last good policy
 * stays in force and the requests are retried with capped exponential backoff.
 */
export class PolicySync {
  private etag: string | undefined;
  /** The control plane version in force; null on local settings, undefined before the first delivery. */
  private applied: string | null | undefined;
  private pendingAck: Acknowledgement | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly client: ControlClient,
    private readonly stats: PolicyStats,
    private readonly heartbeat: Heartbeat,
  ) {}

  /** Runs the long-poll loop until `stop`; never rejects. */
  async run(): Promise<void> {
    let failures = 0;
    while (!this.client.isClosed) {
      const started = Date.now();
      let delay: number;
      try {
        await this.pollOnce();
        failures = 0;
        delay = Math.max(minPollIntervalMs - (Date.now() - started), 0);
      } catch (error) {
        if (this.client.isClosed) return;
        failures += 1;
        // A 404 means the registration is gone: the next round registers again, no outage.
        if (!(error instanceof ControlHttpError && error.status === 404))
          this.client.health.failed("policy", (error as Error).message);
        const retryAfter =
          error instanceof ControlHttpError
            ? retryAfterMs(error.response.headers["retry-after"])
            : undefined;
        delay = retryAfter ?? retryDelayMs(failures);
      }
      if (delay > 0) await sleep(delay);
    }
  }

  stop(): void {
    this.stopping.abort();
  }

  /** Sends the pending acknowledgement, if any; kept for the next try when it fails. Never rejects. */
  async acknowledge(): Promise<void> {
    const ack = this.pendingAck;
    if (ack === undefined || this.client.isClosed) return;
    try {
      const id = await this.client.registered();
      const response = await this.client.call("POST", `api/agents/${id}/ack`, { body: ack });
      if (response.status === 404) this.client.forgetRegistration(id);
      if (response.status !== 200) throw new ControlHttpError(response.status, response);
      if (this.pendingAck === ack) this.pendingAck = undefined;
      this.client.health.succeeded();
    } catch (error) {
      // A 404 means the registration is gone: the next call registers again, no outage.
      if (!(error instanceof ControlHttpError && error.status === 404))
        this.client.health.failed("acknowledge", (error as Error).message);
    }
  }

  private async pollOnce(): Promise<void> {
    const id = await this.client.registered();
    const headers: Record<string, string> = {};
    if (this.etag !== undefined) headers["if-none-match"] = this.etag;
    const response = await this.client.call(
      "GET",
      `api/agents/${id}/policy?wait=${policyWaitSeconds}`,
      {
        headers,
        timeoutMs: pollTimeoutMs,
        signal: this.stopping.signal,
      },
    );

    if (response.status === 404) {
      // The control plane lost the registration (a new database): register again, and fetch and
      // acknowledge the assignment anew.
      this.client.forgetRegistration(id);
      this.etag = undefined;
      throw new ControlHttpError(response.status, response);
    }
    if (response.status === 304) {
      this.client.health.succeeded();
      return;
    }
    if (response.status !== 200) throw new ControlHttpError(response.status, response);

    this.client.health.succeeded();
    const delivery = readDelivery(response.body);
    const etag = response.headers.etag;
    this.etag = typeof etag === "string" && etag !== "" ? etag : undefined;
    await this.apply(delivery);
  }

  private async apply(delivery: Delivery): Promise<void> {
    if (delivery.version === this.applied) {
      // The same assignment again, after a new registration: only the acknowledgement is missing.
      this.pendingAck = { version: delivery.version };
      await this.acknowledge();
      return;
    }

    if (delivery.version === null || delivery.content === null) {
      restoreLocalPolicy();
      await this.recordApplied(null);
      return;
    }

    const result = applyRemotePolicy(delivery.content, delivery.version);
    if (!result.ok) {
      log.warn(
        { policy_version: delivery.version, problems: result.problems.length },
        "control plane policy rejected; the control plane is told, and the current policy stays in force",
      );
      this.pendingAck = {
        version: delivery.version,
        ok: false,
        problems: result.problems.slice(0, 20),
      };
      await this.acknowledge();
      return;
    }
    await this.recordApplied(delivery.version);
  }

  /**
   * Records an applied assignment. The counters start again and a heartbeat carries them before
   * the acknowledgement, so that the control plane never judges the new version on counters of
   * the previous one.
   */
  private async recordApplied(version: string | null): Promise<void> {
    this.applied = version;
    this.stats.reset();
    await this.heartbeat.send();
    this.pendingAck = { version };
    await this.acknowledge();
  }
}
