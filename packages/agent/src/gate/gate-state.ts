import diagnosticsChannel from "node:diagnostics_channel";

import { failOpen } from "../failsafe";
import { log } from "../log";
import { securityEventChannel } from "../telemetry/channels";
import type { SecurityEvent } from "../telemetry/security-event";
import { AttackWaves } from "./attack-wave";
import { compileIpRules, type IpRules } from "./ip-rules";
import { compileLoginThrottling, type LoginThrottling } from "./login-throttle";
import { compileRateLimits, type RateLimitRule } from "./rate-limit";
import type { GateSettings, StoreSettings } from "./settings";
import type { CounterStore } from "./stores/counter-store";
import { MemoryStore } from "./stores/memory-store";
import { RedisStore } from "./stores/redis-store";
import { compileUserAgentRules, type UserAgentRules } from "./user-agent-rules";

const defaultMaxEntries = 100_000;

/** Every gate compiled from one policy; rebuilt as a whole on each policy load. */
export interface Gate {
  readonly ipRules: IpRules | undefined;
  readonly deniedUsers: ReadonlySet<string> | undefined;
  readonly userAgents: UserAgentRules | undefined;
  /** Rules keyed by IP or header, counted when the request starts. */
  readonly requestLimits: readonly RateLimitRule[];
  /** Rules keyed by user, counted when the app calls `setUser`. */
  readonly userLimits: readonly RateLimitRule[];
  readonly login: LoginThrottling | undefined;
  readonly waves: AttackWaves | undefined;
  readonly store: CounterStore;
  /** Synchronous marks: which windows were already reported, and user and account blocks. */
  readonly local: MemoryStore;
  readonly storeSettings: string;
}

let current: Gate | undefined;

/** Returns the active gate, or undefined when no gate is configured. */
export function activeGate(): Gate | undefined {
  return current;
}

function createStore(settings: StoreSettings | undefined): CounterStore {
  if (settings?.type === "redis") {
    return new RedisStore({
      url: settings.url,
      keyPrefix: settings.keyPrefix ?? "rampart:gate:",
      timeoutMs: settings.timeoutMs ?? 50,
      maxEntries: settings.maxEntries ?? defaultMaxEntries,
    });
  }
  return new MemoryStore(settings?.maxEntries ?? defaultMaxEntries);
}

function isEmpty(settings: GateSettings): boolean {
  const blocking = settings.blocking;
  return (
    blocking === undefined &&
    (settings.rateLimits ?? []).length === 0 &&
    settings.loginThrottling === undefined &&
    settings.attackWaves === undefined
  );
}

function compileGate(settings: GateSettings, previous: Gate | undefined): Gate {
  const blocking = settings.blocking;
  // Compiled first: an invalid entry throws before a store (and its connection) is created.
  const ipRules = compileIpRules(blocking?.ip?.allow, blocking?.ip?.deny);
  const limits = compileRateLimits(settings.rateLimits);
  const deniedUsers = blocking?.users?.deny ?? [];
  const storeSettings = JSON.stringify(settings.store ?? { type: "memory" });

  // A reload with the same store keeps its counters and its Redis connection.
  const keepStore = previous !== undefined && previous.storeSettings === storeSettings;
  const store = keepStore ? previous.store : createStore(settings.store);
  const local = keepStore
    ? previous.local
    : new MemoryStore(settings.store?.maxEntries ?? defaultMaxEntries);

  return {
    ipRules,
    deniedUsers: deniedUsers.length === 0 ? undefined : new Set(deniedUsers),
    userAgents: compileUserAgentRules(blocking?.userAgents),
    requestLimits: limits.filter((rule) => rule.keyKind !== "user"),
    userLimits: limits.filter((rule) => rule.keyKind === "user"),
    login: compileLoginThrottling(settings.loginThrottling),
    waves: settings.attackWaves === undefined ? undefined : new AttackWaves(settings.attackWaves),
    store,
    local,
    storeSettings,
  };
}

type DetectionListener = (event: SecurityEvent) => void;
let detectionListener: DetectionListener | undefined;

function listenForDetections(listener: DetectionListener | undefined): void {
  if (detectionListener !== undefined) {
    diagnosticsChannel.unsubscribe(
      securityEventChannel.name,
      detectionListener as (message: unknown) => void,
    );
  }
  detectionListener = listener;
  if (listener !== undefined) {
    diagnosticsChannel.subscribe(securityEventChannel.name, listener as (message: unknown) => void);
  }
}

let onDetection: DetectionListener | undefined;

/** Sets the handler of detections for attack waves; request-gate.ts installs it to avoid an import cycle. */
export function setDetectionHandler(handler: DetectionListener): void {
  onDetection = handler;
}

/**
 * Replaces the gate configuration; called on every policy load and reload. Undefined (or a
 * policy without gate keys) turns every gate off. Throws on an invalid IP list entry, leaving the
 * previous gate active, so that the policy loader can reject the policy as a whole.
 */
export function applyGatePolicy(settings: GateSettings | undefined): void {
  const previous = current;
  const next =
    settings === undefined || isEmpty(settings) ? undefined : compileGate(settings, previous);

  current = next;
  if (previous !== undefined && previous.store !== next?.store) {
    failOpen("gate.store.close", undefined, () => previous.store.close());
  }

  const handler = onDetection;
  listenForDetections(next?.waves === undefined || handler === undefined ? undefined : handler);
  log.debug({ gates: next === undefined ? "off" : "on" }, "request gate policy applied");
}
