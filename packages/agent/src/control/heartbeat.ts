import { contextStorage } from "../context/storage";
import { ControlHttpError, type ControlClient } from "./client";
import type { PolicyStats } from "./policy-stats";

/**
 * Sends the agent's counters every `heartbeatSeconds` (as the control plane asked at registration).
 * A missed heartbeat is not retried: the next one carries newer counters.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ControlClient,
    private readonly stats: PolicyStats,
    /** Runs after each heartbeat that reached the control plane, to resend a pending acknowledgement. */
    private readonly afterBeat: () => void,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sends the counters now; resolves true when the control plane recorded them. Never rejects. */
  async send(): Promise<boolean> {
    if (this.client.isClosed) return false;
    let id: string | undefined;
    try {
      id = await this.client.registered();
      const response = await this.client.call("POST", `api/agents/${id}/heartbeat`, {
        body: { stats: this.stats.current() },
      });
      if (response.status === 404) this.client.forgetRegistration(id);
      if (response.status !== 200) throw new ControlHttpError(response.status, response);
      this.client.health.succeeded();
      return true;
    } catch (error) {
      // A 404 means the registration is gone: the next call registers again, no outage.
      if (!(error instanceof ControlHttpError && error.status === 404))
        this.client.health.failed("heartbeat", (error as Error).message);
      return false;
    }
  }

  private schedule(): void {
    if (this.client.isClosed) return;
    // The timer must not carry the context of a request that happened to be running.
    contextStorage.exit(() => {
      this.timer = setTimeout(() => {
        void this.send().then((ok) => {
          if (ok) this.afterBeat();
          this.schedule();
        });
      }, this.client.heartbeatSeconds * 1000);
      this.timer.unref();
    });
  }
}
