import type http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";

import type { AgentConfig } from "../config";
import { contextStorage } from "../context/storage";
import { failOpen, reportInternalError } from "../failsafe";
import { agentState } from "../guard/agent-state";
import { log } from "../log";
import { agentVersion } from "../version";
import { ignoreRequestsOf, metricsSnapshot } from "./metrics";
import {
  formatExposition,
  metricFamilies,
  type AgentInfo,
  type MetricFamily,
} from "./prometheus-text";

/**
 * Returns the labels of rampart_agent_info. `policy_version` is the policy file's version, or a
 * short hash of the effective configuration when no policy file is loaded.
 */
export function agentInfo(config: AgentConfig): AgentInfo {
  if (config.policyVersion !== undefined)
    return { version: agentVersion, mode: config.mode, policy_version: config.policyVersion };

  const hash = shortHash(JSON.stringify(config, configReplacer));
  return { version: agentVersion, mode: config.mode, policy_version: hash };
}

/**
 * Returns 12 hex digits (48 bits) that identify `text`: two 32-bit FNV-1a hashes over its UTF-16
 * code units with different starting values. A label, not a security check, so node:crypto (2 ms
 * of CPU to load at start) is not needed for it.
 */
export function shortHash(text: string): string {
  let first = 0x811c9dc5;
  let second = 0x01000193 ^ 0x5bd1e995;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    first = Math.imul(first ^ unit, 0x01000193);
    second = Math.imul(second ^ unit, 0x01000193) ^ (second >>> 15);
  }
  const high = (first >>> 0).toString(16).padStart(8, "0");
  const low = (second >>> 0).toString(16).padStart(8, "0").slice(0, 4);
  return high + low;
}

/**
 * Returns labels that follow the running agent's state, read again at each scrape, so that a
 * reloaded policy shows its mode and version without a restart.
 */
export function liveAgentInfo(startConfig: AgentConfig): AgentInfo {
  const current = () => agentInfo(agentState()?.config ?? startConfig);
  return {
    version: agentVersion,
    get mode() {
      return current().mode;
    },
    get policy_version() {
      return current().policy_version;
    },
  };
}

/** URLs are objects that JSON.stringify writes as `{}`, which would hide a changed webhook address from the hash. */
function configReplacer(_key: string, value: unknown): unknown {
  return value instanceof URL ? value.href : value;
}

/** The parts of prom-client 15 that the agent uses. */
interface PromClient {
  register: { registerMetric(metric: unknown): void; getSingleMetric(name: string): unknown };
}

/** Resolves prom-client the way the app would: from the app's entry script, then from the working directory. */
export function resolveAppModule<T>(name: string): T | undefined {
  const bases = [process.argv[1], path.join(process.cwd(), "package.json")].filter(
    (base): base is string => base !== undefined && base !== "",
  );
  for (const base of bases) {
    try {
      return createRequire(path.resolve(base))(name) as T;
    } catch {
      // Not installed beside this base; the next one may have it.
    }
  }
  return undefined;
}

/** Builds a prom-client metric whose values are read from the agent's counters when the registry collects. */
function promClientMetric(name: string, families: () => MetricFamily[]) {
  const current = () => families().find((family) => family.name === name)!;
  const first = current();
  return {
    name,
    help: first.help,
    type: first.type,
    aggregator: "sum",
    get: () => {
      const family = current();
      return {
        name,
        help: family.help,
        type: family.type,
        aggregator: "sum",
        values: family.samples.map((sample) => ({
          metricName: sample.name,
          labels: sample.labels,
          value: sample.value,
        })),
      };
    },
    reset: () => {},
  };
}

/**
 * Registers every rampart_* metric on the app's prom-client default registry, so the app's own
 * /metrics route serves them. Returns false when the app has no prom-client.
 */
export function registerOnAppRegistry(info: AgentInfo): boolean {
  const client = resolveAppModule<PromClient>("prom-client");
  if (client === undefined) {
    log.warn(
      {},
      "RAMPART_PROMETHEUS is on but the app has no prom-client; install prom-client or set RAMPART_PROMETHEUS_PORT",
    );
    return false;
  }

  const families = () => metricFamilies(metricsSnapshot(), info);
  for (const family of families()) {
    // A second agent copy in the same process registers once.
    if (client.register.getSingleMetric(family.name) !== undefined) continue;
    client.register.registerMetric(promClientMetric(family.name, families));
  }
  return true;
}

/** Serves the metrics in the Prometheus text format on GET /metrics. Returns the server, listening or about to. */
export function startMetricsServer(info: AgentInfo, host: string, port: number): http.Server {
  // Required here, not at the top: an agent without a metrics port need not load node:http.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createServer } = require("node:http") as typeof http;
  const server = createServer((request, response) => {
    failOpen("telemetry.prometheus.serve", undefined, () => {
      const url = request.url ?? "/";
      if (request.method !== "GET" || (url !== "/metrics" && !url.startsWith("/metrics?"))) {
        response
          .writeHead(404, { "content-type": "text/plain" })
          .end("not found; metrics are at /metrics\n");
        return;
      }
      const body = formatExposition(metricFamilies(metricsSnapshot(), info));
      response
        .writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
        .end(body);
    });
  });
  ignoreRequestsOf(server);
  // A scraper's keep-alive connection must not keep the app alive once it wants to exit.
  server.on("connection", (socket) => socket.unref());

  server.on("error", (error) => {
    reportInternalError("telemetry.prometheus.listen", error);
    log.error(
      { host, port, err: error.message },
      "cannot serve metrics; set RAMPART_PROMETHEUS_PORT to a free port",
    );
  });
  contextStorage.exit(() =>
    server.listen(port, host, () => {
      const address = server.address();
      log.info({ address }, "serving Prometheus metrics on /metrics");
    }),
  );
  server.unref();
  return server;
}
