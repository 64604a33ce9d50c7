import { sensitivePaths } from "./sensitive-paths";
import type { AttackWaveSettings } from "./settings";
import { MemoryStore } from "./stores/memory-store";

/** Clients tracked at once; beyond this the least recently seen client is forgotten. */
const maxTrackedClients = 50_000;

const exactPaths = new Set(sensitivePaths.filter((path) => !path.endsWith("/")));
const pathPrefixes = sensitivePaths.filter((path) => path.endsWith("/"));

/** First path segments of the list, lowercase, for a cheap first test. */
const firstSegments = new Set(sensitivePaths.map((path) => path.slice(1).split("/", 1)[0]!));

function firstSegmentOf(path: string): string {
  const end = path.indexOf("/", 1);
  return (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/** True for a request path (without query) that scanners probe for. */
export function isSensitivePath(path: string): boolean {
  if (!firstSegments.has(firstSegmentOf(path))) return false;

  const lower = path.toLowerCase();
  if (exactPaths.has(lower)) return true;
  for (const prefix of pathPrefixes) {
    if (lower.startsWith(prefix) || lower === prefix.slice(0, -1)) return true;
  }
  return false;
}

/** State of a client after a recorded probe or detection. */
export type WaveState = "none" | "started" | "cooling";

/**
 * Counts probes and detections per client address within a window. The first signal that reaches
 * a threshold starts a wave, which lasts `cooldownSeconds`. Signals during the wave do not start
 * another, so each wave is reported once.
 * NOTE: counts are kept per process, also when the gate store is Redis.
 */
export class AttackWaves {
  readonly block: boolean;
  private readonly counts = new MemoryStore(maxTrackedClients * 3);
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private readonly probeThreshold: number;
  private readonly detectionThreshold: number;

  constructor(settings: AttackWaveSettings) {
    this.windowMs = (settings.windowSeconds ?? 60) * 1000;
    this.cooldownMs = (settings.cooldownSeconds ?? 900) * 1000;
    this.probeThreshold = settings.probeThreshold ?? 5;
    this.detectionThreshold = settings.detectionThreshold ?? 3;
    this.block = settings.block ?? false;
  }

  get description(): string {
    return `${this.probeThreshold} probes or ${this.detectionThreshold} detections in ${this.windowMs / 1000}s, cool-down ${this.cooldownMs / 1000}s`;
  }

  /** Returns the milliseconds left of the client's current wave, or 0. */
  coolingFor(ip: string): number {
    return this.counts.markedFor(`cool:${ip}`);
  }

  recordProbe(ip: string): WaveState {
    return this.record(`probe:${ip}`, ip, this.probeThreshold);
  }

  recordDetection(ip: string): WaveState {
    return this.record(`detection:${ip}`, ip, this.detectionThreshold);
  }

  private record(key: string, ip: string, threshold: number): WaveState {
    if (this.coolingFor(ip) > 0) return "cooling";

    const { count } = this.counts.increment(key, this.windowMs);
    if (count < threshold) return "none";

    this.counts.delete(`probe:${ip}`);
    this.counts.delete(`detection:${ip}`);
    this.counts.mark(`cool:${ip}`, this.cooldownMs);
    return "started";
  }
}
