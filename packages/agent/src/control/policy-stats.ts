import { metricsSnapshot } from "../telemetry/metrics";

/** Name of the control plane event exporter, the `exporter` label of rampart_events_dropped_total. */
export const controlExporterName = "control";

/** Counters that a heartbeat reports, as the control plane's agent API names them. */
export interface HeartbeatStats {
  readonly requests: number;
  readonly blocked: number;
  readonly monitored: number;
  readonly internal_errors: number;
  /** Inspection time per request, milliseconds. */
  readonly overhead_ms: number;
  readonly events_dropped: number;
}

/** Totals since the agent started, read from the agent's metrics. */
interface Totals {
  readonly requests: number;
  readonly blocked: number;
  readonly monitored: number;
  readonly internalErrors: number;
  readonly inspectionSeconds: number;
  readonly eventsDropped: number;
}

function readTotals(): Totals {
  const snapshot = metricsSnapshot();
  let blocked = 0;
  let monitored = 0;
  for (const sample of snapshot.detections) {
    if (sample.labels.action === "blocked") blocked += sample.value;
    else monitored += sample.value;
  }
  return {
    requests: snapshot.requests,
    blocked,
    monitored,
    internalErrors: snapshot.agentErrors.reduce((sum, sample) => sum + sample.value, 0),
    inspectionSeconds: snapshot.durations.reduce((sum, sample) => sum + sample.sum, 0),
    eventsDropped: snapshot.droppedEvents
      .filter((sample) => sample.labels.exporter === controlExporterName)
      .reduce((sum, sample) => sum + sample.value, 0),
  };
}

/**
 * The counters since the agent applied its current policy: the control plane judges a canary on
 * what the agents saw under the new policy only, so each apply starts a new baseline.
 */
export class PolicyStats {
  private baseline: Totals = readTotals();

  /** Starts counting from now, after a policy was applied. */
  reset(): void {
    this.baseline = readTotals();
  }

  current(): HeartbeatStats {
    const now = readTotals();
    const requests = now.requests - this.baseline.requests;
    const inspectionMs = (now.inspectionSeconds - this.baseline.inspectionSeconds) * 1000;
    return {
      requests,
      blocked: now.blocked - this.baseline.blocked,
      monitored: now.monitored - this.baseline.monitored,
      internal_errors: now.internalErrors - this.baseline.internalErrors,
      overhead_ms: requests === 0 ? 0 : inspectionMs / requests,
      events_dropped: now.eventsDropped - this.baseline.eventsDropped,
    };
  }
}
