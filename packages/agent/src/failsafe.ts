import { log } from "./log";

const errorCounts = new Map<string, number>();

/**
 * Most distinct kinds counted. Kinds are built from sink and exporter names that the agent's code
 * defines, so this cap is a safeguard: beyond it, errors of new kinds are counted under `other`.
 */
export const maxErrorKinds = 256;

/** Kinds that have logged their first occurrence through `warnOnce`; capped like the error kinds. */
const warnedKinds = new Set<string>();

/** Number of internal errors per kind since start; exporters and tests read it. */
export function internalErrorCounts(): ReadonlyMap<string, number> {
  return errorCounts;
}

/**
 * Counts an internal error and logs it the first time its kind occurs, so a hot path cannot flood
 * the log. `outcome` describes what happened to the app's call; by default it proceeded unprotected.
 */
export function reportInternalError(
  kind: string,
  error: unknown,
  outcome = "the call proceeded without protection",
): void {
  const counted = errorCounts.has(kind) || errorCounts.size < maxErrorKinds ? kind : "other";
  const count = (errorCounts.get(counted) ?? 0) + 1;
  errorCounts.set(counted, count);
  if (count > 1) return;

  const err = error instanceof Error ? error : new Error(String(error));
  log.error(
    { kind: counted, err: { name: err.name, message: err.message, stack: err.stack } },
    `internal error; ${outcome}, and later errors of this kind are only counted`,
  );
}

/** Logs a warning the first time its kind occurs and returns true then; later calls only return false. */
export function warnOnce(kind: string, fields: Record<string, unknown>, message: string): boolean {
  if (warnedKinds.has(kind) || warnedKinds.size >= maxErrorKinds) return false;
  warnedKinds.add(kind);
  log.warn({ kind, ...fields }, message);
  return true;
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
