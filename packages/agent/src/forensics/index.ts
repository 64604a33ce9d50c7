import { performance } from "node:perf_hooks";

import type { AgentConfig } from "../config";
import type { RequestContext } from "../context/request-context";
import { failOpen } from "../failsafe";
import { agentState } from "../guard/agent-state";
import type { SecurityEvent } from "../telemetry/security-event";
import { policyVersion } from "./policy-version";
import { millisecondsSince, requestStart } from "./request-timing";
import { buildSnapshot, type Snapshot } from "./snapshot";
import { SnapshotStore, type SnapshotStats } from "./store";

/** Maximum wait for a blocked request's response before its snapshot is written without it, in milliseconds. */
const responseWaitMs = 5_000;

let store: SnapshotStore | undefined;

type SnapshotListener = (snapshot: Snapshot) => void;
const listeners = new Set<SnapshotListener>();

/**
 * Calls `listener` with each snapshot once it is complete and queued for the disk (the control
 * plane client sends them on). Returns the function that removes the listener.
 */
export function onSnapshot(listener: SnapshotListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function publish(snapshot: Snapshot): void {
  for (const listener of listeners) {
    failOpen("snapshot.listener", undefined, () => listener(snapshot));
  }
}
let storeConfig: AgentConfig | undefined;
let exitHookInstalled = false;

function wantsSnapshot(config: AgentConfig, action: SecurityEvent["action"]): boolean {
  const capture = config.snapshots?.capture ?? "off";
  return capture === "all" || (capture === "blocks" && action === "blocked");
}

/** Returns the store of the running configuration, creating it (and running retention) on first use. */
function activeStore(config: AgentConfig): SnapshotStore | undefined {
  const settings = config.snapshots;
  if (settings === undefined || settings.capture === "off") return undefined;
  if (store !== undefined && storeConfig === config) return store;

  store?.stop();
  store = new SnapshotStore(settings.dir, settings);
  storeConfig = config;
  store.start();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => flushAtExit(store));
  }
  return store;
}

function flushAtExit(exiting: SnapshotStore | undefined): void {
  exiting?.flushSync();
}

/**
 * Opens the snapshot store of the running configuration, which runs retention once at start and
 * then periodically. Does nothing when snapshots are off.
 */
export function startSnapshots(): void {
  failOpen("forensics.start", undefined, () => {
    const config = agentState()?.config;
    if (config !== undefined) activeStore(config);
  });
}

/** Writes the snapshot once the blocked request's response went out, so it carries the time to block. */
function queueAfterResponse(
  target: SnapshotStore,
  snapshot: Snapshot,
  context: RequestContext,
): void {
  if (!target.reserve()) return;

  let queued = false;
  const queue = (responded: boolean) => {
    if (queued) return;
    queued = true;
    clearTimeout(timer);
    const start = requestStart(context);
    if (responded) snapshot.timings.time_to_block_ms = millisecondsSince(start.monotonicMs);
    target.addReserved(snapshot);
    publish(snapshot);
  };
  const timer = setTimeout(() => queue(false), responseWaitMs);
  timer.unref();
  context.res.once("finish", () => queue(true));
  context.res.once("close", () => queue(false));
}

function snapshotDetection(event: SecurityEvent, context: RequestContext | undefined): void {
  const detectedAtMs = performance.now();
  const config = agentState()?.config;
  if (config === undefined || !wantsSnapshot(config, event.action)) return;

  const target = activeStore(config);
  if (target === undefined) return;

  const snapshot = buildSnapshot(event, context, policyVersion(config), detectedAtMs);
  if (event.action === "blocked" && context !== undefined && !context.res.writableFinished) {
    queueAfterResponse(target, snapshot, context);
    return;
  }
  target.add(snapshot);
  publish(snapshot);
}

/**
 * Takes a forensic snapshot of a detection when RAMPART_SNAPSHOTS requests one. The snapshot is
 * built synchronously from the event and the request, then written asynchronously; any failure is
 * counted and never reaches the caller.
 */
export function takeSnapshot(event: SecurityEvent, context: RequestContext | undefined): void {
  failOpen("snapshot.capture", undefined, () => snapshotDetection(event, context));
}

/** Counters of the running snapshot store; all zero when no snapshot was taken. */
export function snapshotStats(): SnapshotStats {
  return store === undefined
    ? { written: 0, dropped: 0, failed: 0, removed: 0 }
    : { ...store.stats };
}

/** Resolves once queued snapshots are written; for tests and orderly shutdown. */
export function drainSnapshots(): Promise<void> {
  return store === undefined ? Promise.resolve() : store.drain();
}
