import { scannerUserAgents } from "./scanner-agents";
import type { UserAgentSettings } from "./settings";

/**
 * Compiled user-agent rules. Patterns are plain case-insensitive substrings, never regular
 * expressions, so that a policy cannot introduce catastrophic backtracking.
 */
export interface UserAgentRules {
  /** Returns the pattern that the user agent contains, or undefined. */
  match(userAgent: string): string | undefined;
}

/** User agents whose result is remembered. */
const maxCachedUserAgents = 1_000;

/** Longer user agents, in characters, are judged on every request instead of cached. */
const maxCachedLength = 512;

function lowercased(patterns: readonly string[] | undefined): string[] {
  return (patterns ?? []).map((pattern) => pattern.toLowerCase()).filter((p) => p.length > 0);
}

/** Compiles the rules; returns undefined when no pattern blocks anything. */
export function compileUserAgentRules(
  settings: UserAgentSettings | undefined,
): UserAgentRules | undefined {
  if (settings === undefined) return undefined;

  const builtin = settings.builtinScanners === false ? [] : scannerUserAgents;
  const deny = [...builtin, ...lowercased(settings.deny)];
  const allow = lowercased(settings.allow);
  if (deny.length === 0) return undefined;

  const matchUncached = (userAgent: string): string | null => {
    const text = userAgent.toLowerCase();
    for (const pattern of allow) if (text.includes(pattern)) return null;
    for (const pattern of deny) if (text.includes(pattern)) return pattern;
    return null;
  };

  // Most requests carry one of a few browser user agents, so results are cached; a flood of new
  // user agents only empties the cache.
  const cache = new Map<string, string | null>();
  return {
    match(userAgent) {
      if (userAgent.length > maxCachedLength) return matchUncached(userAgent) ?? undefined;

      let matched = cache.get(userAgent);
      if (matched === undefined) {
        matched = matchUncached(userAgent);
        if (cache.size >= maxCachedUserAgents) cache.clear();
        cache.set(userAgent, matched);
      }
      return matched ?? undefined;
    },
  };
}
