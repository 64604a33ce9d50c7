/** First retry delay after a failed call to the control plane, in milliseconds. */
export const baseRetryMs = 1000;
/** Maximum retry delay, in milliseconds, so an agent finds a restarted control plane within it. */
export const maxRetryMs = 30_000;

/**
 * Delay before retry `attempt` (1-based): exponential from `baseRetryMs`, capped at `maxRetryMs`,
 * with the upper half drawn at random ("equal jitter"), so that a fleet that lost the control plane
 * together does not come back in step.
 */
export function retryDelayMs(attempt: number): number {
  const ceiling = Math.min(maxRetryMs, baseRetryMs * 2 ** Math.max(attempt - 1, 0));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Reads a `Retry-After` header given in seconds (the form the control plane sends), capped at
 * `maxRetryMs`; undefined when absent or not a number of seconds.
 */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Math.min(Number(value.trim()) * 1000, maxRetryMs);
}

/** Resolves after `ms` milliseconds, without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
