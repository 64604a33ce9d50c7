import type { CounterHit, CounterStore, WindowCounts } from "./counter-store";

interface Entry {
  count: number;
  expiresAt: number;
}

/**
 * In-process store bounded to `maxEntries` keys: when full, the least recently used key is
 * evicted (a Map keeps insertion order, and every access re-inserts the key at the end).
 * Expired keys are dropped when read and when they reach the front of the order.
 */
export class MemoryStore implements CounterStore {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  increment(key: string, ttlMs: number): CounterHit {
    const now = Date.now();
    const entry = this.liveEntry(key, now) ?? { count: 0, expiresAt: now + ttlMs };
    entry.count++;
    this.store(key, entry);
    return { count: entry.count, ttlMs: entry.expiresAt - now };
  }

  incrementWindow(currentKey: string, previousKey: string, ttlMs: number): WindowCounts {
    const current = this.increment(currentKey, ttlMs).count;
    const previous = this.liveEntry(previousKey, Date.now())?.count ?? 0;
    return { current, previous };
  }

  mark(key: string, ttlMs: number): void {
    this.store(key, { count: 1, expiresAt: Date.now() + ttlMs });
  }

  markedFor(key: string): number {
    const now = Date.now();
    const entry = this.liveEntry(key, now);
    return entry === undefined ? 0 : entry.expiresAt - now;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  close(): void {
    this.entries.clear();
  }

  private liveEntry(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
