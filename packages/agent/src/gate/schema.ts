/**
 * JSON Schema (draft 2020-12) of the policy keys that configure request gating. The policy loader
 * merges these `properties` into its own top-level schema, so each key here is a top-level policy
 * key. Durations are in seconds unless a name says otherwise.
 */

const seconds = { type: "integer", minimum: 1, maximum: 604800 } as const;
const positiveCount = { type: "integer", minimum: 1, maximum: 1_000_000_000 } as const;

/** `/login`, `/api/:id/orders`, `/admin/*` (a trailing `*` matches the rest of the path). */
const routePattern = { type: "string", pattern: "^/", maxLength: 512 } as const;

const httpMethod = {
  type: "string",
  pattern: "^(\\*|[A-Za-z]+)$",
  maxLength: 16,
} as const;

/** An IPv4 or IPv6 address with an optional prefix length; the gate validates the syntax when compiling. */
const ipOrCidr = { type: "string", minLength: 2, maxLength: 64 } as const;

const blockingSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    ip: {
      type: "object",
      additionalProperties: false,
      properties: {
        allow: { type: "array", items: ipOrCidr, maxItems: 100000 },
        deny: { type: "array", items: ipOrCidr, maxItems: 100000 },
      },
    },
    users: {
      type: "object",
      additionalProperties: false,
      properties: {
        deny: {
          type: "array",
          items: { type: "string", minLength: 1, maxLength: 256 },
          maxItems: 100000,
        },
      },
    },
    userAgents: {
      type: "object",
      additionalProperties: false,
      properties: {
        builtinScanners: { type: "boolean", default: true },
        deny: {
          description: "Case-insensitive substrings; a user agent containing one is blocked.",
          type: "array",
          items: { type: "string", minLength: 2, maxLength: 200 },
          maxItems: 1000,
        },
        allow: {
          description:
            "Case-insensitive substrings that exempt a user agent from every user-agent rule.",
          type: "array",
          items: { type: "string", minLength: 2, maxLength: 200 },
          maxItems: 1000,
        },
      },
    },
  },
} as const;

const rateLimitSchema = {
  type: "object",
  additionalProperties: false,
  required: ["route", "limit", "windowSeconds"],
  properties: {
    route: routePattern,
    method: { ...httpMethod, default: "*" },
    key: {
      type: "string",
      pattern: "^(ip|user|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+)$",
      default: "ip",
    },
    limit: positiveCount,
    windowSeconds: seconds,
    algorithm: { enum: ["fixed", "sliding"], default: "fixed" },
  },
} as const;

const thresholdSchema = {
  type: "object",
  additionalProperties: false,
  required: ["failures", "windowSeconds"],
  properties: {
    failures: positiveCount,
    windowSeconds: seconds,
    blockSeconds: {
      ...seconds,
      description:
        "How long the key stays throttled once over the threshold; default windowSeconds.",
    },
  },
} as const;

const loginThrottlingSchema = {
  type: "object",
  additionalProperties: false,
  required: ["routes"],
  properties: {
    routes: {
      type: "array",
      minItems: 1,
      maxItems: 100,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["route"],
        properties: {
          route: routePattern,
          method: { ...httpMethod, default: "POST" },
          accountField: {
            description:
              "Dotted path of the body field that names the account, such as `username` or `user.email`.",
            type: "string",
            pattern: "^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$",
            maxLength: 200,
          },
        },
      },
    },
    failureStatuses: {
      type: "array",
      items: { type: "integer", minimum: 100, maximum: 599 },
      minItems: 1,
      default: [401, 403],
    },
    perIp: thresholdSchema,
    perAccount: thresholdSchema,
  },
} as const;

const attackWavesSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    windowSeconds: { ...seconds, default: 60 },
    probeThreshold: { ...positiveCount, default: 5 },
    detectionThreshold: { ...positiveCount, default: 3 },
    cooldownSeconds: { ...seconds, default: 900 },
    block: { type: "boolean", default: false },
  },
} as const;

const storeSchema = {
  oneOf: [
    {
      type: "object",
      additionalProperties: false,
      required: ["type"],
      properties: {
        type: { const: "memory" },
        maxEntries: { type: "integer", minimum: 100, maximum: 10_000_000, default: 100000 },
      },
    },
    {
      type: "object",
      additionalProperties: false,
      required: ["type", "url"],
      properties: {
        type: { const: "redis" },
        url: { type: "string", pattern: "^rediss?://", maxLength: 2048 },
        keyPrefix: { type: "string", maxLength: 128, default: "rampart:gate:" },
        timeoutMs: { type: "integer", minimum: 1, maximum: 5000, default: 50 },
        maxEntries: { type: "integer", minimum: 100, maximum: 10_000_000, default: 100000 },
      },
    },
  ],
} as const;

/** Top-level policy keys owned by the request gate. */
export const gatePolicySchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  properties: {
    blocking: blockingSchema,
    rateLimits: { type: "array", items: rateLimitSchema, maxItems: 1000 },
    loginThrottling: loginThrottlingSchema,
    attackWaves: attackWavesSchema,
    store: storeSchema,
  },
} as const;
