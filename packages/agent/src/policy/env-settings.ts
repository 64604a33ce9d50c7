import type { PolicyDocument } from "./document";

/**
 * A policy key that an environment variable can also set. The policy value is written the way
 * the variable would carry it, so the same parser reads both and the variable wins when set.
 */
export interface EnvSetting {
  /** Dotted key in the policy file. */
  readonly key: string;
  readonly variable: string;
  /** Combination rule when both are set: the variable replaces the file value, or both apply. */
  readonly combine: "replace" | "merge";
  read(document: PolicyDocument): string | undefined;
}

function text(value: string | number | boolean | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function list(values: readonly string[] | undefined): string | undefined {
  return values === undefined ? undefined : values.join(",");
}

function setting(
  key: string,
  variable: string,
  read: EnvSetting["read"],
  combine: EnvSetting["combine"] = "replace",
): EnvSetting {
  return { key, variable, read, combine };
}

/** Every policy key that has an environment variable, in the order `rampart policy explain` prints them. */
export const envSettings: readonly EnvSetting[] = [
  setting("mode", "RAMPART_MODE", (d) => d.mode),
  setting(
    "detectors",
    "RAMPART_DETECTOR_MODES",
    (d) =>
      d.detectors === undefined
        ? undefined
        : Object.entries(d.detectors)
            .map(([type, mode]) => `${type}=${mode}`)
            .join(","),
    "merge",
  ),
  setting("events", "RAMPART_EVENTS", (d) => d.events),
  setting("logLevel", "RAMPART_LOG_LEVEL", (d) => d.logLevel),
  setting("hookEval", "RAMPART_HOOK_EVAL", (d) => text(d.hookEval)),
  setting("freezePrototypes", "RAMPART_FREEZE_PROTOTYPES", (d) => d.freezePrototypes),
  setting("ssrf.allowHosts", "RAMPART_SSRF_ALLOW_HOSTS", (d) => list(d.ssrf?.allowHosts)),
  setting("redirect.allowHosts", "RAMPART_REDIRECT_ALLOW_HOSTS", (d) =>
    list(d.redirect?.allowHosts),
  ),
  setting("redaction.keys", "RAMPART_REDACT_KEYS", (d) => list(d.redaction?.keys), "merge"),
  setting("snapshots.capture", "RAMPART_SNAPSHOTS", (d) => d.snapshots?.capture),
  setting("snapshots.dir", "RAMPART_SNAPSHOT_DIR", (d) => d.snapshots?.dir),
  setting("snapshots.maxAgeDays", "RAMPART_SNAPSHOT_MAX_AGE_DAYS", (d) =>
    text(d.snapshots?.maxAgeDays),
  ),
  setting("snapshots.maxBytes", "RAMPART_SNAPSHOT_MAX_BYTES", (d) => text(d.snapshots?.maxBytes)),
  setting("telemetry.dedupWindowSeconds", "RAMPART_DEDUP_WINDOW", (d) =>
    text(d.telemetry?.dedupWindowSeconds),
  ),
  setting("telemetry.eventsDedup", "RAMPART_EVENTS_DEDUP", (d) => text(d.telemetry?.eventsDedup)),
  setting("telemetry.eventsMaxBytes", "RAMPART_EVENTS_MAX_BYTES", (d) =>
    text(d.telemetry?.eventsMaxBytes),
  ),
  setting("telemetry.eventsMaxFiles", "RAMPART_EVENTS_MAX_FILES", (d) =>
    text(d.telemetry?.eventsMaxFiles),
  ),
  setting("telemetry.eventsRate", "RAMPART_EVENTS_RATE", (d) => text(d.telemetry?.eventsRate)),
  setting("telemetry.webhook.url", "RAMPART_WEBHOOK_URL", (d) => d.telemetry?.webhook?.url),
  setting(
    "telemetry.webhook.format",
    "RAMPART_WEBHOOK_FORMAT",
    (d) => d.telemetry?.webhook?.format,
  ),
  setting("telemetry.webhook.timeoutMs", "RAMPART_WEBHOOK_TIMEOUT_MS", (d) =>
    text(d.telemetry?.webhook?.timeoutMs),
  ),
  setting("telemetry.webhook.retries", "RAMPART_WEBHOOK_RETRIES", (d) =>
    text(d.telemetry?.webhook?.retries),
  ),
  setting("telemetry.webhook.rate", "RAMPART_WEBHOOK_RATE", (d) =>
    text(d.telemetry?.webhook?.rate),
  ),
  setting("telemetry.syslog.target", "RAMPART_SYSLOG", (d) => d.telemetry?.syslog?.target),
  setting("telemetry.syslog.rate", "RAMPART_SYSLOG_RATE", (d) => text(d.telemetry?.syslog?.rate)),
  setting("telemetry.prometheus.port", "RAMPART_PROMETHEUS_PORT", (d) =>
    text(d.telemetry?.prometheus?.port),
  ),
  setting(
    "telemetry.prometheus.host",
    "RAMPART_PROMETHEUS_HOST",
    (d) => d.telemetry?.prometheus?.host,
  ),
  setting("telemetry.prometheus.registry", "RAMPART_PROMETHEUS", (d) =>
    text(d.telemetry?.prometheus?.registry),
  ),
  setting("telemetry.openTelemetry.enabled", "RAMPART_OTEL", (d) =>
    text(d.telemetry?.openTelemetry?.enabled),
  ),
  setting("telemetry.openTelemetry.rate", "RAMPART_OTEL_RATE", (d) =>
    text(d.telemetry?.openTelemetry?.rate),
  ),
  setting("telemetry.dropWarningIntervalSeconds", "RAMPART_DROP_WARNING_INTERVAL", (d) =>
    text(d.telemetry?.dropWarningIntervalSeconds),
  ),
];

/** True when the variable is set to something other than blanks (an empty value means "use the default"). */
export function isSet(env: NodeJS.ProcessEnv, variable: string): boolean {
  return (env[variable]?.trim() ?? "") !== "";
}

/**
 * Combines the policy with the environment into one set of variables for the configuration
 * parsers. A set variable replaces the file's value, except for `merge` keys, where the variable's
 * entries are appended (later entries win, so `RAMPART_DETECTOR_MODES=xss=monitor` overrides the
 * file's `detectors.xss` and keeps its other detectors).
 */
export function mergeWithEnv(
  document: PolicyDocument | undefined,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  if (document === undefined) return merged;

  for (const entry of envSettings) {
    const fromFile = entry.read(document);
    if (fromFile === undefined) continue;

    if (!isSet(env, entry.variable)) merged[entry.variable] = fromFile;
    else if (entry.combine === "merge")
      merged[entry.variable] = `${fromFile},${env[entry.variable]}`;
  }
  return merged;
}
