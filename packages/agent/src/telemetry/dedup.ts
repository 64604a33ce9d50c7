import { countDeduplicatedEvent } from "./metrics";
import type { SecurityEvent } from "./security-event";
import { nodeCrypto } from "../builtins";

/**
 * Most distinct events tracked at once. Beyond it, events with a new identity pass through without
 * deduplication, so memory stays bounded under an attack that varies its identity.
 */
export const maxTrackedEvents = 10_000;

interface Window {
  readonly first: SecurityEvent;
  readonly endsAt: number;
  repeats: number;
  lastTime: string;
}

/** Identity of an event for deduplication: attack type, route (else path), input path, client address. */
export function deduplicationKey(event: SecurityEvent): string {
  const request = event.request;
  return [
    event.attack_type,
    request?.route ?? request?.path ?? "",
    event.input?.path ?? "",
    request?.client_ip ?? "",
  ].join("\u0000");
}

/**
 * Folds identical events within a window. The first event of a window is passed on at once, and
 * repeats are only counted. When the window ends, one summary carrying `count` is passed on.
 */
export class Deduplicator {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly emit: (event: SecurityEvent) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Passes the event on, or counts it as a repeat of an event sent in the current window. */
  add(event: SecurityEvent): void {
    if (this.windowMs <= 0) {
      this.emit(event);
      return;
    }

    const key = deduplicationKey(event);
    const window = this.windows.get(key);
    if (window !== undefined && this.now() < window.endsAt) {
      window.repeats++;
      window.lastTime = event.time;
      countDeduplicatedEvent();
      return;
    }
    if (window !== undefined) this.close(key, window);

    if (this.windows.size < maxTrackedEvents) {
      this.windows.set(key, {
        first: event,
        endsAt: this.now() + this.windowMs,
        repeats: 0,
        lastTime: event.time,
      });
      this.scheduleSweep();
    }
    this.emit(event);
  }

  /** Sends the summaries of windows that ended; `all` ends every window (at exit). */
  sweep(all = false): void {
    const now = this.now();
    for (const [key, window] of this.windows) {
      if (all || now >= window.endsAt) this.close(key, window);
    }
    if (this.windows.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Number of windows open, for tests. */
  get size(): number {
    return this.windows.size;
  }

  private close(key: string, window: Window): void {
    this.windows.delete(key);
    if (window.repeats === 0) return;

    this.emit({
      ...window.first,
      event_id: nodeCrypto().randomUUID(),
      time: window.lastTime,
      count: window.repeats,
      first_event_id: window.first.event_id,
      first_time: window.first.time,
    });
  }

  private scheduleSweep(): void {
    if (this.timer !== undefined) return;
    const interval = Math.min(this.windowMs, 1000);
    this.timer = setInterval(() => this.sweep(), interval);
    this.timer.unref();
  }
}
