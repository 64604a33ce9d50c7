import type { RequestMessage } from "../context/request-context";

import { compileMethodMatcher, compilePathMatcher, type PathMatcher } from "./route-pattern";
import type { RateLimitKey, RateLimitSettings } from "./settings";
import type { CounterStore, WindowCounts } from "./stores/counter-store";

/** Header values longer than this, in characters, are cut before they become part of a store key. */
const maxKeyValueLength = 256;

/** Outcome of one counted request. */
export interface LimitVerdict {
  readonly exceeded: boolean;
  /** Seconds until the client may retry; set when exceeded. */
  readonly retryAfterSeconds: number;
  /** Store key of the window, for reporting each exceeded window once. */
  readonly windowKey: string;
}

/** One compiled `rateLimits` entry. */
export class RateLimitRule {
  readonly description: string;
  readonly keyKind: RateLimitKey;
  private readonly matchesPath: PathMatcher;
  private readonly matchesMethod: (method: string | undefined) => boolean;
  private readonly windowMs: number;
  private readonly id: string;

  constructor(private readonly settings: RateLimitSettings) {
    this.keyKind = settings.key ?? "ip";
    this.matchesPath = compilePathMatcher(settings.route);
    this.matchesMethod = compileMethodMatcher(settings.method, "*");
    this.windowMs = settings.windowSeconds * 1000;
    const method = (settings.method ?? "*").toUpperCase();
    const algorithm = settings.algorithm ?? "fixed";
    this.description = `${method} ${settings.route} ${settings.limit}/${settings.windowSeconds}s by ${this.keyKind} (${algorithm})`;
    this.id = `${method} ${settings.route} ${this.keyKind} ${settings.limit}/${settings.windowSeconds} ${algorithm}`;
  }

  applies(method: string | undefined, path: string): boolean {
    return this.matchesMethod(method) && this.matchesPath(path);
  }

  /** Returns the key value for `ip` and `header:<name>` rules, or undefined when the request has none. */
  keyValueOf(req: RequestMessage, clientIp: string | undefined): string | undefined {
    if (this.keyKind === "ip") return clientIp;
    if (this.keyKind === "user") return undefined;

    const header = req.headers[this.keyKind.slice("header:".length).toLowerCase()];
    const value = Array.isArray(header) ? header[0] : header;
    return value === undefined || value === "" ? undefined : value.slice(0, maxKeyValueLength);
  }

  /** Counts one request for `keyValue`. */
  count(store: CounterStore, keyValue: string): LimitVerdict | Promise<LimitVerdict> {
    const baseKey = `rl:${this.id}:${keyValue}`;
    if (this.settings.algorithm === "sliding") return this.countSliding(store, baseKey);

    const hit = store.increment(baseKey, this.windowMs);
    const judge = (count: number, ttlMs: number): LimitVerdict => ({
      exceeded: count > this.settings.limit,
      retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
      windowKey: baseKey,
    });
    return hit instanceof Promise
      ? hit.then((result) => judge(result.count, result.ttlMs))
      : judge(hit.count, hit.ttlMs);
  }

  /**
   * Sliding window estimated from two fixed windows: the previous window's count weighted by the
   * part of it that still overlaps the sliding window, plus the current window's count.
   */
  private countSliding(store: CounterStore, baseKey: string): LimitVerdict | Promise<LimitVerdict> {
    const now = Date.now();
    const index = Math.floor(now / this.windowMs);
    const elapsed = now - index * this.windowMs;
    const currentKey = `${baseKey}:${index}`;
    const counts = store.incrementWindow(currentKey, `${baseKey}:${index - 1}`, this.windowMs * 2);

    const judge = ({ current, previous }: WindowCounts): LimitVerdict => {
      const estimate = previous * (1 - elapsed / this.windowMs) + current;
      return {
        exceeded: estimate > this.settings.limit,
        // The estimate falls below the limit at the latest when the current window ends.
        retryAfterSeconds: Math.max(1, Math.ceil((this.windowMs - elapsed) / 1000)),
        windowKey: currentKey,
      };
    };
    return counts instanceof Promise ? counts.then(judge) : judge(counts);
  }
}

export function compileRateLimits(
  settings: readonly RateLimitSettings[] | undefined,
): RateLimitRule[] {
  return (settings ?? []).map((entry) => new RateLimitRule(entry));
}
