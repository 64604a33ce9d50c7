import { log } from "../log";

/**
 * Tracks whether the control plane responds, so that an outage is logged once when it starts and
 * once when it ends, however many calls fail in between.
 */
export class ConnectionHealth {
  private downSince: number | undefined;
  private readonly recoveryListeners: Array<() => void> = [];

  /** `origin` is the control plane's scheme, host and port: never the token. */
  constructor(
    private readonly origin: string,
    private readonly runningVersion: () => string | undefined,
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** Calls `listener` each time the control plane responds again after an outage. */
  onRecovered(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  /** Records a failed call; the first failure of an outage is logged. */
  failed(operation: string, reason: string): void {
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    log.warn(
      {
        control_url: this.origin,
        operation,
        err: reason,
        policy_version: this.runningVersion() ?? null,
      },
      "control plane unreachable or refusing calls; the agent keeps its current policy, buffers events and retries with backoff",
    );
  }

  /** Records a call that got a response; logs the end of an outage. */
  succeeded(): void {
    if (this.downSince === undefined) return;
    const outageMs = Date.now() - this.downSince;
    this.downSince = undefined;
    log.info(
      { control_url: this.origin, outage_ms: outageMs },
      "control plane reachable again; policy sync and event delivery resumed",
    );
    for (const listener of this.recoveryListeners) listener();
  }
}
