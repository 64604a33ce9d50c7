import { performance } from "node:perf_hooks";

/** When a request reached the server: wall-clock time for people, monotonic time for durations. */
export interface RequestStart {
  /** Milliseconds since the Unix epoch. */
  readonly epochMs: number;
  /** `performance.now()` at the start, in milliseconds. */
  readonly monotonicMs: number;
}

/** Returns when a request started, from the `performance.now()` value its context recorded. */
export function requestStart(context: { readonly startedAt: number }): RequestStart {
  const monotonicMs = context.startedAt;
  return { epochMs: performance.timeOrigin + monotonicMs, monotonicMs };
}

/** Returns milliseconds since a monotonic `performance.now()` value, rounded to microseconds. */
export function millisecondsSince(monotonicMs: number, now: number = performance.now()): number {
  return Math.round((now - monotonicMs) * 1000) / 1000;
}
