import { performance } from "node:perf_hooks";

/** When a request reached the server: wall-clock time for people, monotonic time for durations. */
export interface RequestStart {
  /** Milliseconds since the Unix epoch. */
  readonly epochMs: number;
  /** `performance.now()` at the start, in milliseconds. */
  readonly monotonicMs: number;
}

// Only the monotonic time is stored, one number per request, because this runs on every request.
const starts = new WeakMap<object, number>();

/** Records that a request (an http.IncomingMessage) started now. */
export function recordRequestStart(request: object): void {
  starts.set(request, performance.now());
}

/** Returns the recorded start of a request, or undefined when it started before recording began. */
export function requestStart(request: object): RequestStart | undefined {
  const monotonicMs = starts.get(request);
  if (monotonicMs === undefined) return undefined;
  return { epochMs: performance.timeOrigin + monotonicMs, monotonicMs };
}

/** Returns milliseconds since a monotonic `performance.now()` value, rounded to microseconds. */
export function millisecondsSince(monotonicMs: number, now: number = performance.now()): number {
  return Math.round((now - monotonicMs) * 1000) / 1000;
}
