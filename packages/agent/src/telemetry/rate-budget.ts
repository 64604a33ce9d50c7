/**
 * A per-second budget (token bucket): up to `perSecond` events pass in any one-second stretch, and
 * unused budget refills continuously. Exporters call `take()` once per event.
 */
export class RateBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  /** Spends one event of the budget; returns false when the budget of the current second is spent. */
  take(): boolean {
    const now = this.now();
    const elapsedMs = now - this.refilledAt;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.perSecond, this.tokens + (elapsedMs * this.perSecond) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;

    this.tokens -= 1;
    return true;
  }
}
