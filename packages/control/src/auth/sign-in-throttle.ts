/** Failed sign-ins allowed per client address and username within one window. */
export const maxSignInFailures = 10;
/** Length of the window, in milliseconds; the count starts at the first failure. */
export const signInWindowMs = 15 * 60 * 1000;
/** Maximum (address, username) pairs tracked; beyond it the oldest pair is forgotten. */
const maxTrackedPairs = 10_000;

interface Failures {
  count: number;
  readonly firstAt: number;
}

/**
 * Slows password guessing: after `maxSignInFailures` failed sign-ins from one address for one
 * username, that pair is refused until the window that began with its first failure ends. A
 * success clears the pair.
 * NOTE: the count is kept in memory per replica. Behind a proxy every client shares the proxy's
 * address. The scrypt hash still bounds the guessing rate.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, Failures>();

  /** Milliseconds until the pair may try again, or undefined when it may try now. */
  retryAfterMs(address: string, username: string, now = Date.now()): number | undefined {
    const key = pairKey(address, username);
    const entry = this.failures.get(key);
    if (entry === undefined) return undefined;
    if (now - entry.firstAt >= signInWindowMs) {
      this.failures.delete(key);
      return undefined;
    }
    return entry.count >= maxSignInFailures ? entry.firstAt + signInWindowMs - now : undefined;
  }

  failed(address: string, username: string, now = Date.now()): void {
    const key = pairKey(address, username);
    const entry = this.failures.get(key);
    if (entry !== undefined) {
      entry.count += 1;
      return;
    }
    if (this.failures.size >= maxTrackedPairs) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(key, { count: 1, firstAt: now });
  }

  succeeded(address: string, username: string): void {
    this.failures.delete(pairKey(address, username));
  }
}

function pairKey(address: string, username: string): string {
  return `${address}\u0000${username}`;
}
