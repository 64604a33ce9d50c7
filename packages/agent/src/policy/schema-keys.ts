/** Top-level policy keys that src/gate owns: blocking lists, rate limits, login throttling, attack waves, store. */
export const gateKeys = [
  "blocking",
  "rateLimits",
  "loginThrottling",
  "attackWaves",
  "store",
] as const;
