import { detectSqlInjection, type SqlDialect } from "../detectors/sql";
import type { RampartBlockedError } from "../errors";
import { inspect } from "../guard/guard";

/**
 * Judges one SQL text about to be sent by a driver. Returns the error to deliver when the query
 * must not run, else undefined. Non-string queries (driver objects, buffers) are not judged here:
 * each sink extracts the text first.
 */
export function inspectSql(
  sink: string,
  dialect: SqlDialect,
  query: unknown,
): RampartBlockedError | undefined {
  if (typeof query !== "string" || query === "") return undefined;

  return inspect({
    attackType: "sql_injection",
    sink,
    operation: query,
    detect: (inputs) => detectSqlInjection(query, dialect, inputs),
    // The detector judges the text alone against the inputs, so a text judged clean once is not
    // judged again (guard/clean-operations.ts). So do the shell, code and node-serialize sinks.
    cleanKey: query,
    cleanScope: dialect,
  });
}
