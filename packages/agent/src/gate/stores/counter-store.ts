/** Counters and time-limited markers shared by rate limits, login throttling and attack waves. */

/** A counter after an increment. */
export interface CounterHit {
  readonly count: number;
  /** Milliseconds until the counter expires. */
  readonly ttlMs: number;
}

/** Counts of the current and the previous window, for sliding-window estimates. */
export interface WindowCounts {
  readonly current: number;
  readonly previous: number;
}

/**
 * Every method may return its result directly (memory) or as a promise (Redis). Promises never
 * reject, because a store that cannot reach its backend uses memory instead.
 */
export interface CounterStore {
  /** Adds one to `key`, which expires `ttlMs` after its first increment. */
  increment(key: string, ttlMs: number): CounterHit | Promise<CounterHit>;
  /** Adds one to `currentKey` (expiring after `ttlMs`) and reads `previousKey`. */
  incrementWindow(
    currentKey: string,
    previousKey: string,
    ttlMs: number,
  ): WindowCounts | Promise<WindowCounts>;
  /** Sets a marker that expires after `ttlMs`. */
  mark(key: string, ttlMs: number): void;
  /** Returns the milliseconds until the marker expires, or 0 when it is not set. */
  markedFor(key: string): number | Promise<number>;
  delete(key: string): void;
  close(): void;
}
