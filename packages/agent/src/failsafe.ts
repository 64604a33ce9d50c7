import { log } from "./log";

const errorCounts = new Map<string, number>();

/** Number of internal errors per kind since start; exporters and tests read it. */
export function internalErrorCounts(): ReadonlyMap<string, number> {
  return errorCounts;
}

/** Counts an internal error and logs it the first time its kind occurs, so a hot path cannot flood the log. */
export function reportInternalError(kind: string, error: unknown): void {
  const count = (errorCounts.get(kind) ?? 0) + 1;
  errorCounts.set(kind, count);
  if (count > 1) return;

  const err = error instanceof Error ? error : new Error(String(error));
  log.error(
    { kind, err: { name: err.name, message: err.message, stack: err.stack } },
    "internal error; the call proceeded without protection and later errors of this kind are only counted",
  );
}

/**
 * Runs agent code called from a hook. Any exception is counted and logged once per kind, and the
 * fallback is returned, so a fault in the agent never reaches the app.
 */
export function failOpen<T>(kind: string, fallback: T, run: () => T): T {
  try {
    return run();
  } catch (error) {
    reportInternalError(kind, error);
    return fallback;
  }
}
