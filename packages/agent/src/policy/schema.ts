import { attackTypes } from "../telemetry/security-event";
import { gateSchemaProperties } from "./gate-link";
import type { SchemaNode } from "./schema-types";

const modeNode: SchemaNode = {
  type: "string",
  enum: ["off", "monitor", "block"],
  description:
    "off: inspect nothing; monitor: log detections; block: log them and stop the operation",
};

const attackTypeNode: SchemaNode = { type: "string", enum: attackTypes };

const rate: SchemaNode = { type: "number", minimum: 0, maximum: 1 };

/** Builds a node that accepts one value or a list of at least one value, each checked against `item`. */
function oneOrMany(item: SchemaNode, description: string): SchemaNode {
  return {
    description,
    anyOf: [item, { type: "array", items: item, minItems: 1 }],
  };
}

const nonEmptyString: SchemaNode = { type: "string", minLength: 1 };

const hostList: SchemaNode = { type: "array", items: nonEmptyString };

const matcherKeys = ["route", "method", "input", "attackType", "clientIp"] as const;

const allowRule: SchemaNode = {
  type: "object",
  description: "an operation that matches every key the rule sets is allowed (not reported)",
  properties: {
    route: oneOrMany(nonEmptyString, "route template or URL path; * matches within a segment"),
    method: oneOrMany(nonEmptyString, "HTTP method"),
    input: oneOrMany(nonEmptyString, "input path such as query.sort or body.*.note"),
    attackType: oneOrMany(attackTypeNode, "attack type"),
    clientIp: oneOrMany(nonEmptyString, "client IP address or CIDR block"),
    comment: { type: "string" },
  },
  additionalProperties: false,
  anyOf: matcherKeys.map((key) => ({ required: [key] })),
};

const samplingRoute: SchemaNode = {
  type: "object",
  properties: {
    route: oneOrMany(nonEmptyString, "route template or URL path; * matches within a segment"),
    method: oneOrMany(nonEmptyString, "HTTP method"),
    attackType: oneOrMany(attackTypeNode, "attack type"),
    rate,
  },
  required: ["route", "rate"],
  additionalProperties: false,
};

const detectorRates: SchemaNode = {
  type: "object",
  properties: Object.fromEntries(attackTypes.map((type) => [type, rate])),
  additionalProperties: false,
  "x-key": "attack type",
};

const telemetryNode: SchemaNode = {
  type: "object",
  additionalProperties: false,
  properties: {
    dedupWindowSeconds: { type: "number", minimum: 0, maximum: 86_400 },
    eventsDedup: { type: "boolean" },
    eventsMaxBytes: { type: "integer", minimum: 0 },
    eventsMaxFiles: { type: "integer", minimum: 1, maximum: 1000 },
    eventsRate: { type: "number", minimum: 1, maximum: 1_000_000 },
    webhook: {
      type: "object",
      additionalProperties: false,
      required: ["url"],
      properties: {
        url: { type: "string", pattern: "^https?://" },
        format: { type: "string", enum: ["json", "slack"] },
        timeoutMs: { type: "number", minimum: 100, maximum: 120_000 },
        retries: { type: "integer", minimum: 0, maximum: 10 },
        rate: { type: "number", minimum: 1, maximum: 1_000_000 },
      },
    },
    syslog: {
      type: "object",
      additionalProperties: false,
      required: ["target"],
      properties: {
        target: { type: "string", pattern: "^(?:udp://|tcp://|/)" },
        rate: { type: "number", minimum: 1, maximum: 1_000_000 },
      },
    },
    prometheus: {
      type: "object",
      additionalProperties: false,
      properties: {
        port: { type: "integer", minimum: 0, maximum: 65_535 },
        host: nonEmptyString,
        registry: { type: "boolean" },
      },
    },
    openTelemetry: {
      type: "object",
      additionalProperties: false,
      properties: {
        enabled: { type: "boolean" },
        rate: { type: "number", minimum: 1, maximum: 1_000_000 },
      },
    },
    dropWarningIntervalSeconds: { type: "number", minimum: 0, maximum: 86_400 },
  },
};

const budgetNode: SchemaNode = {
  type: "number",
  minimum: 0.01,
  maximum: 60_000,
  description: "time one detector call may take, in milliseconds; default 5",
};

const failModeNode: SchemaNode = {
  type: "string",
  enum: ["open", "closed"],
  description:
    "without a trusted verdict (detector error, overrun, detector switched off): open lets the operation run, closed treats it as an attack",
};

const inspectionNode: SchemaNode = {
  type: "object",
  additionalProperties: false,
  properties: {
    budgetMs: budgetNode,
    failMode: failModeNode,
    detectors: {
      type: "object",
      properties: Object.fromEntries(
        attackTypes.map((type) => [
          type,
          {
            type: "object",
            additionalProperties: false,
            minProperties: 1,
            properties: { budgetMs: budgetNode, failMode: failModeNode },
          },
        ]),
      ),
      additionalProperties: false,
      "x-key": "attack type",
    },
    breaker: {
      type: "object",
      additionalProperties: false,
      properties: {
        failures: {
          type: "integer",
          minimum: 0,
          maximum: 1_000_000,
          description:
            "consecutive failed inspections that switch a detector off; 0 never does; default 10",
        },
        coolDownSeconds: {
          type: "number",
          minimum: 1,
          maximum: 86_400,
          description: "how long a switched-off detector stays off; default 30",
        },
      },
    },
  },
};

/** Top-level keys of the policy that this module defines; gate keys are added from src/gate. */
const coreProperties: Record<string, SchemaNode> = {
  version: {
    type: "string",
    pattern: "^[\\w.:+-]{1,64}$",
    description: "policy version in events and metrics; default: sha256 of the file",
  },
  mode: modeNode,
  detectors: {
    type: "object",
    properties: Object.fromEntries(attackTypes.map((type) => [type, modeNode])),
    additionalProperties: false,
    "x-key": "attack type",
  },
  allow: { type: "array", items: allowRule },
  sampling: {
    type: "object",
    additionalProperties: false,
    properties: {
      rate,
      detectors: detectorRates,
      routes: { type: "array", items: samplingRoute },
    },
  },
  canary: {
    type: "object",
    additionalProperties: false,
    required: ["percent"],
    properties: {
      percent: { type: "number", minimum: 0, maximum: 100 },
      by: { type: "string", enum: ["request", "instance"] },
      instanceId: nonEmptyString,
    },
  },
  blockResponse: {
    type: "object",
    additionalProperties: false,
    properties: {
      status: { type: "integer", minimum: 400, maximum: 599 },
      json: { type: "string", minLength: 2 },
      html: nonEmptyString,
    },
  },
  inspection: inspectionNode,
  trustedProxies: { type: "array", items: nonEmptyString },
  clientIpHeader: { type: "string", enum: ["x-forwarded-for", "forwarded"] },
  redaction: {
    type: "object",
    additionalProperties: false,
    properties: { keys: { type: "array", items: nonEmptyString } },
  },
  ssrf: {
    type: "object",
    additionalProperties: false,
    properties: { allowHosts: hostList },
  },
  redirect: {
    type: "object",
    additionalProperties: false,
    properties: { allowHosts: hostList },
  },
  hookEval: { type: "boolean" },
  freezePrototypes: { type: "string", enum: ["off", "seal", "freeze"] },
  events: nonEmptyString,
  logLevel: { type: "string", enum: ["debug", "info", "warn", "error", "silent"] },
  snapshots: {
    type: "object",
    additionalProperties: false,
    properties: {
      capture: { type: "string", enum: ["off", "blocks", "all"] },
      dir: nonEmptyString,
      maxAgeDays: { type: "number", minimum: 0.001 },
      maxBytes: { type: "integer", minimum: 1 },
    },
  },
  telemetry: telemetryNode,
};

/** Builds the policy schema: the keys above plus the gate's keys, as the gate module defines them. */
export function policySchema(): SchemaNode & { $schema: string; $id: string; title: string } {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "urn:rampart:policy-schema",
    title: "Rampart policy (rampart.policy.yaml)",
    type: "object",
    properties: { ...coreProperties, ...gateSchemaProperties() },
    additionalProperties: false,
    "x-key": "policy key",
  };
}
