import type { ConfigProblem } from "../config";

/** Destination of syslog messages: a UDP or TCP address, or a Unix stream socket path. */
export type SyslogTarget =
  { transport: "udp" | "tcp"; host: string; port: number } | { transport: "unix"; path: string };

/** Telemetry settings, read from RAMPART_* environment variables (docs/telemetry.md). */
export interface TelemetryConfig {
  /** Extra key names whose values are masked, added to the built-in list (`RAMPART_REDACT_KEYS`). */
  redactKeys: readonly string[];
  /** Deduplication window in milliseconds; 0 turns deduplication off (`RAMPART_DEDUP_WINDOW`, in seconds). */
  dedupWindowMs: number;
  /** Whether the JSON Lines log is deduplicated too (`RAMPART_EVENTS_DEDUP`). */
  eventsDedup: boolean;
  /** Rotate the events file when it would grow past this many bytes; 0 never rotates. */
  eventsMaxBytes: number;
  /** Rotated files kept beside the events file (`events.jsonl.1` is the newest). */
  eventsMaxFiles: number;
  /** Events per second that the JSON Lines log writes at most (`RAMPART_EVENTS_RATE`). */
  eventsRate: number;
  webhookUrl: URL | undefined;
  webhookFormat: "json" | "slack";
  webhookTimeoutMs: number;
  webhookRetries: number;
  webhookRate: number;
  syslog: SyslogTarget | undefined;
  syslogRate: number;
  /** Serve /metrics on this port (`RAMPART_PROMETHEUS_PORT`); undefined serves nothing. */
  prometheusPort: number | undefined;
  prometheusHost: string;
  /** Register the metrics on the app's prom-client default registry (`RAMPART_PROMETHEUS`). */
  prometheusRegistry: boolean;
  /** Span events and metrics through the app's OpenTelemetry SDK (`RAMPART_OTEL`). */
  openTelemetry: boolean;
  openTelemetryRate: number;
  /** Interval of the warning that lists dropped events, in milliseconds; 0 turns it off. */
  dropWarningIntervalMs: number;
}

type Env = NodeJS.ProcessEnv;

function readNumber(
  env: Env,
  variable: string,
  fallback: number,
  problems: ConfigProblem[],
  limits: { min: number; max: number },
): number {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === "") return fallback;

  const value = Number(raw.trim());
  if (Number.isFinite(value) && value >= limits.min && value <= limits.max) return value;

  problems.push({
    variable,
    value: raw,
    expected: `a number from ${limits.min} to ${limits.max}`,
    fallback: String(fallback),
  });
  return fallback;
}

function readSwitch(
  env: Env,
  variable: string,
  fallback: boolean,
  problems: ConfigProblem[],
): boolean {
  const value = env[variable]?.trim().toLowerCase() ?? "";
  if (value === "") return fallback;
  if (value === "true" || value === "1" || value === "on") return true;
  if (value === "false" || value === "0" || value === "off") return false;

  problems.push({
    variable,
    value: env[variable] ?? "",
    expected: "true | false",
    fallback: String(fallback),
  });
  return fallback;
}

function readWebhookUrl(env: Env, problems: ConfigProblem[]): URL | undefined {
  const raw = env.RAMPART_WEBHOOK_URL?.trim() ?? "";
  if (raw === "") return undefined;

  try {
    const url = new URL(raw);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // Reported below like any other invalid value.
  }
  problems.push({
    variable: "RAMPART_WEBHOOK_URL",
    value: raw,
    expected: "an http:// or https:// URL",
    fallback: "no webhook",
  });
  return undefined;
}

function readWebhookFormat(env: Env, problems: ConfigProblem[]): "json" | "slack" {
  const value = env.RAMPART_WEBHOOK_FORMAT?.trim().toLowerCase() ?? "";
  if (value === "" || value === "json") return "json";
  if (value === "slack") return "slack";

  problems.push({
    variable: "RAMPART_WEBHOOK_FORMAT",
    value: env.RAMPART_WEBHOOK_FORMAT ?? "",
    expected: "json | slack",
    fallback: "json",
  });
  return "json";
}

/** Parses `udp://127.0.0.1:514`, `tcp://siem.internal:6514` or an absolute Unix socket path. */
export function parseSyslogTarget(raw: string): SyslogTarget | undefined {
  const value = raw.trim();
  if (value.startsWith("/")) return { transport: "unix", path: value };

  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const transport = url.protocol.slice(0, -1);
  if (transport !== "udp" && transport !== "tcp") return undefined;
  if (url.hostname === "") return undefined;

  const port = url.port === "" ? 514 : Number(url.port);
  // IPv6 hosts come back in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { transport, host, port };
}

function readSyslog(env: Env, problems: ConfigProblem[]): SyslogTarget | undefined {
  const raw = env.RAMPART_SYSLOG?.trim() ?? "";
  if (raw === "") return undefined;

  const target = parseSyslogTarget(raw);
  if (target !== undefined) return target;
  problems.push({
    variable: "RAMPART_SYSLOG",
    value: raw,
    expected: "udp://host:port, tcp://host:port or an absolute Unix socket path",
    fallback: "no syslog",
  });
  return undefined;
}

function readRedactKeys(env: Env): string[] {
  return (env.RAMPART_REDACT_KEYS ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key !== "");
}

function readPrometheusPort(env: Env, problems: ConfigProblem[]): number | undefined {
  const raw = env.RAMPART_PROMETHEUS_PORT?.trim() ?? "";
  if (raw === "") return undefined;

  const port = Number(raw);
  if (Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  problems.push({
    variable: "RAMPART_PROMETHEUS_PORT",
    value: raw,
    expected: "a TCP port from 0 to 65535",
    fallback: "no metrics endpoint",
  });
  return undefined;
}

const perSecond = { min: 1, max: 1_000_000 };

/** Reads the telemetry settings; invalid values become problems and fall back to their default. */
export function readTelemetryConfig(env: Env, problems: ConfigProblem[]): TelemetryConfig {
  return {
    redactKeys: readRedactKeys(env),
    dedupWindowMs:
      readNumber(env, "RAMPART_DEDUP_WINDOW", 60, problems, { min: 0, max: 86_400 }) * 1000,
    eventsDedup: readSwitch(env, "RAMPART_EVENTS_DEDUP", false, problems),
    eventsMaxBytes: readNumber(env, "RAMPART_EVENTS_MAX_BYTES", 0, problems, {
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    }),
    eventsMaxFiles: readNumber(env, "RAMPART_EVENTS_MAX_FILES", 5, problems, { min: 1, max: 1000 }),
    eventsRate: readNumber(env, "RAMPART_EVENTS_RATE", 5000, problems, perSecond),
    webhookUrl: readWebhookUrl(env, problems),
    webhookFormat: readWebhookFormat(env, problems),
    webhookTimeoutMs: readNumber(env, "RAMPART_WEBHOOK_TIMEOUT_MS", 5000, problems, {
      min: 100,
      max: 120_000,
    }),
    webhookRetries: readNumber(env, "RAMPART_WEBHOOK_RETRIES", 3, problems, { min: 0, max: 10 }),
    webhookRate: readNumber(env, "RAMPART_WEBHOOK_RATE", 10, problems, perSecond),
    syslog: readSyslog(env, problems),
    syslogRate: readNumber(env, "RAMPART_SYSLOG_RATE", 1000, problems, perSecond),
    prometheusPort: readPrometheusPort(env, problems),
    prometheusHost: env.RAMPART_PROMETHEUS_HOST?.trim() || "127.0.0.1",
    prometheusRegistry: readSwitch(env, "RAMPART_PROMETHEUS", false, problems),
    openTelemetry: readSwitch(env, "RAMPART_OTEL", false, problems),
    openTelemetryRate: readNumber(env, "RAMPART_OTEL_RATE", 1000, problems, perSecond),
    dropWarningIntervalMs:
      readNumber(env, "RAMPART_DROP_WARNING_INTERVAL", 30, problems, { min: 0, max: 86_400 }) *
      1000,
  };
}
