/** Gate settings as they appear in the policy file; src/gate/schema.ts validates the same shape. */

export interface IpListSettings {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

export interface UserAgentSettings {
  /** Block the built-in scanner list (src/gate/scanner-agents.ts); default true. */
  readonly builtinScanners?: boolean;
  /** Case-insensitive substrings to block. */
  readonly deny?: readonly string[];
  /** Case-insensitive substrings that exempt a user agent from every user-agent rule. */
  readonly allow?: readonly string[];
}

export interface BlockingSettings {
  readonly ip?: IpListSettings;
  readonly users?: { readonly deny?: readonly string[] };
  readonly userAgents?: UserAgentSettings;
}

/** `ip`, `user` or `header:<name>`. */
export type RateLimitKey = "ip" | "user" | `header:${string}`;

export interface RateLimitSettings {
  readonly route: string;
  readonly method?: string;
  readonly key?: RateLimitKey;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly algorithm?: "fixed" | "sliding";
}

export interface ThresholdSettings {
  readonly failures: number;
  readonly windowSeconds: number;
  readonly blockSeconds?: number;
}

export interface LoginRouteSettings {
  readonly route: string;
  readonly method?: string;
  readonly accountField?: string;
}

export interface LoginThrottlingSettings {
  readonly routes: readonly LoginRouteSettings[];
  readonly failureStatuses?: readonly number[];
  readonly perIp?: ThresholdSettings;
  readonly perAccount?: ThresholdSettings;
}

export interface AttackWaveSettings {
  readonly windowSeconds?: number;
  readonly probeThreshold?: number;
  readonly detectionThreshold?: number;
  readonly cooldownSeconds?: number;
  readonly block?: boolean;
}

export type StoreSettings =
  | { readonly type: "memory"; readonly maxEntries?: number }
  | {
      readonly type: "redis";
      readonly url: string;
      readonly keyPrefix?: string;
      readonly timeoutMs?: number;
      readonly maxEntries?: number;
    };

/** The policy keys owned by the gate; every key is optional and a missing key turns its gate off. */
export interface GateSettings {
  readonly blocking?: BlockingSettings;
  readonly rateLimits?: readonly RateLimitSettings[];
  readonly loginThrottling?: LoginThrottlingSettings;
  readonly attackWaves?: AttackWaveSettings;
  readonly store?: StoreSettings;
}
