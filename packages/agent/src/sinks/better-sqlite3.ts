import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { inspectSql } from "./sql";

type SqlMethod = (this: unknown, source: unknown, ...rest: unknown[]) => unknown;

/** Wraps a synchronous method whose first argument is SQL text: a blocked query throws. */
function wrapSqlMethod(sink: string) {
  return (original: SqlMethod): SqlMethod =>
    function (this: unknown, source: unknown, ...rest: unknown[]) {
      const blocked = inspectSql(sink, "sqlite", source);
      if (blocked !== undefined) throw blocked;
      return original.call(this, source, ...rest);
    };
}

/**
 * better-sqlite3 runs SQL only through `Database#prepare` and `Database#exec`, both synchronous,
 * so a blocked query throws like any SQLite error would.
 */
export const betterSqlite3: ModuleInstrumentation = {
  name: "better-sqlite3",
  majorVersions: [9, 10, 11, 12],
  patch(moduleExports) {
    const prototype = (moduleExports as { prototype?: Record<string, unknown> }).prototype;
    if (prototype === undefined) return undefined;

    wrapMethod(prototype, "prepare", wrapSqlMethod("better-sqlite3.prepare"));
    wrapMethod(prototype, "exec", wrapSqlMethod("better-sqlite3.exec"));
    return undefined;
  },
};
