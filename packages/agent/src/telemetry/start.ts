import type { AgentConfig } from "../config";
import { log } from "../log";
import { securityEventChannel } from "./channels";
import { EventLog, EventLogExporter } from "./event-log";
import { OtelSpanExporter, startOtelMetrics } from "./otel-exporter";
import { TelemetryPipeline, type PipelineExporter } from "./pipeline";
import { liveAgentInfo, registerOnAppRegistry, startMetricsServer } from "./prometheus";
import { setExtraRedactKeys } from "./redact";
import type { SecurityEvent } from "./security-event";
import { SyslogExporter } from "./syslog";
import { readTelemetryConfig } from "./telemetry-config";
import { WebhookExporter } from "./webhook";

/** Telemetry state reported in the start log. */
export interface TelemetryStatus {
  /** Destination of JSON Lines events: stdout, stderr or the file. */
  readonly events: string;
  readonly exporters: readonly string[];
}

function eventExporters(config: AgentConfig, eventLog: EventLog): PipelineExporter[] {
  const telemetry = config.telemetry ?? readTelemetryConfig({}, []);
  const exporters: PipelineExporter[] = [
    {
      exporter: new EventLogExporter(eventLog, telemetry.eventsDedup),
      perSecond: telemetry.eventsRate,
    },
  ];

  if (telemetry.openTelemetry)
    exporters.push({ exporter: new OtelSpanExporter(), perSecond: telemetry.openTelemetryRate });

  if (telemetry.webhookUrl !== undefined) {
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
      exporter: new SyslogExporter(telemetry.syslog),
      perSecond: telemetry.syslogRate,
    });
  return exporters;
}

function startMetricExporters(config: AgentConfig): void {
  const telemetry = config.telemetry ?? readTelemetryConfig({}, []);
  const info = liveAgentInfo(config);
  if (telemetry.openTelemetry) startOtelMetrics(info);
  if (telemetry.prometheusRegistry) registerOnAppRegistry(info);
  if (telemetry.prometheusPort !== undefined)
    startMetricsServer(info, telemetry.prometheusHost, telemetry.prometheusPort);
}

/**
 * Starts the telemetry pipeline: the JSON Lines event log, the exporters that RAMPART_* variables
 * switch on, and the metrics. Security events reach it through the `rampart:security-event`
 * diagnostics channel.
 */
export function startTelemetry(config: AgentConfig): TelemetryStatus {
  const telemetry = config.telemetry ?? readTelemetryConfig({}, []);
  setExtraRedactKeys(telemetry.redactKeys);

  const eventLog = new EventLog(config.events, {
    maxBytes: telemetry.eventsMaxBytes,
    maxFiles: telemetry.eventsMaxFiles,
  });
  const pipeline = new TelemetryPipeline(
    eventExporters(config, eventLog),
    telemetry.dedupWindowMs,
    telemetry.dropWarningIntervalMs,
  );
  securityEventChannel.subscribe((message) => pipeline.publish(message as SecurityEvent));
  pipeline.startDropWarnings();
  process.once("exit", () => pipeline.close());

  startMetricExporters(config);
  const status = { events: eventLog.describeTarget(), exporters: pipeline.exporterNames() };
  log.debug({ ...status }, "telemetry started");
  return status;
}
