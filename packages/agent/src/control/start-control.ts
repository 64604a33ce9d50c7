import { contextStorage } from "../context/storage";
import { reportInternalError } from "../failsafe";
import { onSnapshot } from "../forensics";
import { agentState } from "../guard/agent-state";
import { log } from "../log";
import type { PipelineExporter } from "../telemetry/pipeline";
import { ControlClient } from "./client";
import { ConnectionHealth } from "./connection-health";
import type { ControlSettings } from "./control-config";
import { ControlEventShipper } from "./event-shipper";
import { Heartbeat } from "./heartbeat";
import { PolicyStats } from "./policy-stats";
import { PolicySync } from "./policy-sync";

/** Events per second handed to the control plane exporter; beyond it they are dropped as `rate_limited`. */
export const controlEventsPerSecond = 1000;

/** The parts of the control plane client, created before telemetry so that its exporter joins the pipeline. */
export interface ControlConnection {
  /** The event exporter to add to the telemetry pipeline. */
  readonly exporter: PipelineExporter;
  /** Registers and starts the heartbeat and policy sync, off the caller's path. */
  start(): void;
  /** Stops every loop and timer. */
  stop(): void;
}

/**
 * Builds the agent's control plane client. Nothing here waits on the network: registration,
 * heartbeats, policy sync and event delivery run later on unreferenced timers, outside any request.
 */
export function createControlConnection(settings: ControlSettings): ControlConnection {
  const health = new ConnectionHealth(
    settings.baseUrl.origin,
    () => agentState()?.config.policyVersion,
  );
  const client = new ControlClient(settings, health);
  const shipper = new ControlEventShipper(client, settings.bufferEvents);
  // Snapshots exist only when RAMPART_SNAPSHOTS captures them; each also goes to the control plane.
  const stopSnapshots = onSnapshot((snapshot) => shipper.attachSnapshot(snapshot));
  const stats = new PolicyStats();
  const heartbeat = new Heartbeat(client, stats, () => {
    shipper.resume();
    void sync.acknowledge();
  });
  const sync = new PolicySync(client, stats, heartbeat);
  health.onRecovered(() => shipper.resume());

  return {
    exporter: { exporter: shipper, perSecond: controlEventsPerSecond },
    start: () => {
      contextStorage.exit(() => {
        setImmediate(() => {
          void client.registered().then(
            (id) => {
              log.info(
                { control_url: settings.baseUrl.origin, agent_id: id, instance: settings.instance },
                "registered with the control plane",
              );
              heartbeat.start();
            },
            () => undefined,
          );
          sync.run().catch((error: unknown) => reportInternalError("control.policy", error));
        }).unref();
      });
    },
    stop: () => {
      stopSnapshots();
      sync.stop();
      heartbeat.stop();
      client.close();
    },
  };
}
