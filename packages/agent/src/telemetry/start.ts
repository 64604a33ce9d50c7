import type { AgentConfig } from "../config";
import { log } from "../log";
import { securityEventChannel } from "./channels";
import { EventLog, EventLogExporter } from "./event-log";
import { TelemetryPipeline, type PipelineExporter } from "./pipeline";
import { liveAgentInfo, registerOnAppRegistry, startMetricsServer } from "./prometheus";
import { setExtraRedactKeys } from "./redact";
import type { SecurityEvent } from "./security-event";
import { readTelemetryConfig } from "./telemetry-config";

// The exporters that a RAMPART_* variable switches on are required only when it does, so an agent
// that writes JSON Lines only does not load their modules (dgram and the syslog formatter, for
// example) at start.
function otelModule(): typeof import("./otel-exporter") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./otel-exporter") as typeof import("./otel-exporter");
}

function webhookModule(): typeof import("./webhook") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./webhook") as typeof import("./webhook");
}

function syslogModule(): typeof import("./syslog") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./syslog") as typeof import("./syslog");
}

/** Telemetry state reported in the start log. */
export interface TelemetryStatus {
  /** Destination of JSON Lines events: stdout, stderr or the file. */
  readonly events: string;
  readonly exporters: readonly string[];
}

/** The pipeline of the running agent, for `flushTelemetry`. */
let runningPipeline: TelemetryPipeline | undefined;

/** Resolves once the running agent's exporters delivered the events queued so far; at once when none runs. */
export function flushTelemetry(): Promise<void> {
  return runningPipeline?.flush() ?? Promise.resolve();
}

function eventExporters(
  config: AgentConfig,
  eventLog: EventLog,
  extra: readonly PipelineExporter[],
): PipelineExporter[] {
  const telemetry = config.telemetry ?? readTelemetryConfig({}, []);
  const exporters: PipelineExporter[] = [
    {
      exporter: new EventLogExporter(eventLog, telemetry.eventsDedup),
      perSecond: telemetry.eventsRate,
    },
  ];

  if (telemetry.openTelemetry)
    exporters.push({
      exporter: new (otelModule().OtelSpanExporter)(),
      perSecond: telemetry.openTelemetryRate,
    });

  if (telemetry.webhookUrl !== undefined) {
    const { WebhookExporter } = webhookModule();
    const webhook = new WebhookExporter({
      url: telemetry.webhookUrl,
      format: telemetry.webhookFormat,
      timeoutMs: telemetry.webhookTimeoutMs,
      retries: telemetry.webhookRetries,
    });
    exporters.push({ exporter: webhook, perSecond: telemetry.webhookRate });
  }

  if (telemetry.syslog !== undefined)
    exporters.push({
      exporter: new (syslogModule().SyslogExporter)(telemetry.syslog),
      perSecond: telemetry.syslogRate,
    });
  exporters.push(...extra);
  return exporters;
}

function startMetricExporters(config: AgentConfig): void {
  const telemetry = config.telemetry ?? readTelemetryConfig({}, []);
  const info = liveAgentInfo(config);
  if (telemetry.openTelemetry) otelModule().startOtelMetrics(info);
  if (telemetry.prometheusRegistry) registerOnAppRegistry(info);
  if (telemetry.prometheusPort !== undefined)
    startMetricsServer(info, telemetry.prometheusHost, telemetry.prometheusPort);
}

/**
 * Starts the telemetry pipeline: the JSON Lines event log, the exporters that RAMPART_* variables
 * switch on, `extra` exporters (the control plane's), and the metrics. Security events reach it
 * through the `rampart:security-event` diagnostics channel.
 */
export function startTelemetry(
  config: AgentConfig,
  extra: readonly PipelineExporter[] = [],
): TelemetryStatus {
  const telemetry = config.telemetry ?? readTelemetryConfig({}, []);
  setExtraRedactKeys(telemetry.redactKeys);

  const eventLog = new EventLog(config.events, {
    maxBytes: telemetry.eventsMaxBytes,
    maxFiles: telemetry.eventsMaxFiles,
  });
  const pipeline = new TelemetryPipeline(
    eventExporters(config, eventLog, extra),
    telemetry.dedupWindowMs,
    telemetry.dropWarningIntervalMs,
  );
  runningPipeline = pipeline;
  securityEventChannel.subscribe((message) => pipeline.publish(message as SecurityEvent));
  pipeline.startDropWarnings();
  process.once("exit", () => pipeline.close());

  startMetricExporters(config);
  const status = { events: eventLog.describeTarget(), exporters: pipeline.exporterNames() };
  log.debug({ ...status }, "telemetry started");
  return status;
}
