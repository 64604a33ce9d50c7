import type { EventEmitter } from "node:events";

import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { bindCallback, callbackIndex, failCallback } from "./call";
import { inspectSql } from "./sql";

type Method = (this: EventEmitter, ...args: unknown[]) => unknown;

interface Sqlite3Exports {
  Database?: { prototype: Record<string, unknown> };
  Statement?: { prototype: Record<string, unknown> };
}

/** Database methods whose first argument is SQL text and that return the Database. */
const databaseSqlMethods = ["run", "get", "all", "each", "map", "exec"] as const;

/** Statement methods that take callbacks. They receive parameter values, never SQL text. */
const statementMethods = ["bind", "reset", "run", "get", "all", "each", "map"] as const;

/**
 * Reports a blocked call's error as sqlite3 5.1 reports a failed statement: to the last function
 * argument (for `each(sql, row, complete)` that is `complete`), else as an 'error' event. sqlite3
 * emits a failed `exec` on the Database and a failed `run`, `get` or `all` on an internal Statement
 * that the app cannot reach, so the error goes to the Database in both cases. The event is skipped when
 * nothing listens, because Node would raise it as an uncaught exception and a blocked request would
 * end the process.
 */
function reportBlocked(emitter: EventEmitter, args: unknown[], error: Error): void {
  const index = callbackIndex(args);
  if (index > 0) {
    failCallback(args[index], error);
    return;
  }
  process.nextTick(() => {
    if (emitter.listenerCount("error") > 0) emitter.emit("error", error);
  });
}

/**
 * Returns a Statement whose preparation was blocked. A Statement that failed to prepare in sqlite3
 * 5.1 reports the error once (prepare callback or 'error' event) and then never calls the callbacks
 * of later calls. This one passes the error to them instead, so that the app can send its response.
 */
function blockedStatement(
  database: EventEmitter,
  prototype: object,
  prepareArgs: unknown[],
  error: Error,
) {
  const statement = Object.create(prototype) as EventEmitter;

  for (const name of statementMethods) {
    Object.defineProperty(statement, name, {
      value: (...args: unknown[]) => {
        const index = callbackIndex(args);
        if (index !== -1) failCallback(args[index], error);
        return statement;
      },
    });
  }
  Object.defineProperty(statement, "finalize", {
    value: (callback?: unknown) => {
      if (typeof callback === "function") process.nextTick(callback as () => void);
      return database;
    },
  });

  reportBlocked(statement, prepareArgs, error);
  return statement;
}

/**
 * Judges a Database method. Callbacks are bound to the caller's request because sqlite3 calls them
 * from the native addon outside any async context.
 */
function wrapDatabaseMethod(name: string) {
  return (original: Method): Method =>
    function (this: EventEmitter, ...args: unknown[]) {
      const blocked = inspectSql(`sqlite3.${name}`, "sqlite", args[0]);
      if (blocked === undefined) return original.apply(this, args.map(bindCallback));

      reportBlocked(this, args, blocked);
      return this;
    };
}

function wrapPrepare(statementPrototype: object) {
  return (original: Method): Method =>
    function prepare(this: EventEmitter, ...args: unknown[]) {
      const blocked = inspectSql("sqlite3.prepare", "sqlite", args[0]);
      if (blocked === undefined) return original.apply(this, args.map(bindCallback));
      return blockedStatement(this, statementPrototype, args, blocked);
    };
}

/** Binds the callbacks of a Statement method to the caller's request, as for Database methods. */
function wrapStatementMethod(original: Method): Method {
  return function (this: EventEmitter, ...args: unknown[]) {
    return original.apply(this, args.map(bindCallback));
  };
}

/**
 * sqlite3 5 prepares SQL text in `Database#prepare`, `exec` and the shortcuts `run`, `get`, `all`,
 * `each` and `map`, which prepare a Statement and run it once. A blocked call never reaches SQLite.
 * NOTE: `new sqlite3.Statement(db, sql)` called directly is not judged.
 */
export const sqlite3: ModuleInstrumentation = {
  name: "sqlite3",
  majorVersions: [5],
  patch(moduleExports) {
    const { Database, Statement } = moduleExports as Sqlite3Exports;
    if (Database === undefined || Statement === undefined) return undefined;

    for (const name of databaseSqlMethods)
      wrapMethod(Database.prototype, name, wrapDatabaseMethod(name));
    wrapMethod(Database.prototype, "prepare", wrapPrepare(Statement.prototype));

    for (const name of statementMethods) wrapMethod(Statement.prototype, name, wrapStatementMethod);
    wrapMethod(Statement.prototype, "finalize", wrapStatementMethod);
    return undefined;
  },
};
