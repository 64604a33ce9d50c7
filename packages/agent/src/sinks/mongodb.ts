import { createRequire } from "node:module";
import path from "node:path";

import type { StructuredInput } from "../context/request-inputs";
import { currentContext } from "../context/storage";
import { detectNosqlInjection, type MongoDocument } from "../detectors/nosql/detect";
import { describeMongoOperation } from "../detectors/nosql/describe";
import {
  findUserOperators,
  mayCarryOperators,
  noUserOperators,
  type UserOperators,
} from "../detectors/nosql/user-operators";
import type { RampartBlockedError } from "../errors";
import { failOpen } from "../failsafe";
import { inspect, isInspecting } from "../guard/guard";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { checkPrototypePollutionAtSink } from "../sources/prototype-pollution";

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** User operator objects of each request's parsed parts, computed once per version of the parts. */
const userOperatorCache = new WeakMap<readonly StructuredInput[], UserOperators>();

/**
 * Filters and pipelines that mongoose judged at `Query#exec` or `Aggregate#exec`. Mongoose passes
 * the same objects to the driver, which then skips them, so one operation yields one event.
 */
const judgedByMongoose = new WeakSet<object>();

/** Depth of driver methods running their synchronous start, during which nested calls (findOne calls find) are not judged again. */
let nestedCallDepth = 0;

/** Maximum nesting searched for server-side JavaScript operators in an operation. */
const maxCodeSearchDepth = 64;

/** Records a filter or pipeline that mongoose judged, so that the driver does not judge it again. */
export function markJudgedByMongoose(value: unknown): void {
  if (typeof value === "object" && value !== null) judgedByMongoose.add(value);
}

/** Returns whether a value contains a `$where`, `$function` or `$accumulator` key, without allocating. */
function containsServerCode(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null || depth > maxCodeSearchDepth) return false;

  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key === "$where" || key === "$function" || key === "$accumulator") return true;
    if (containsServerCode((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

function userOperatorsOf(parts: readonly StructuredInput[]): UserOperators {
  let operators = userOperatorCache.get(parts);
  if (operators === undefined) {
    operators = findUserOperators(parts);
    userOperatorCache.set(parts, operators);
  }
  return operators;
}

/** Options of one MongoDB inspection. */
export interface MongoInspectionOptions {
  /**
   * False when the library neutralizes user operator objects itself (mongoose `sanitizeFilter`),
   * so only server-side JavaScript is judged. Default true.
   */
  readonly judgeOperators?: boolean;
}

function inspectInRequest(
  sink: string,
  method: string,
  documents: readonly MongoDocument[],
  options: MongoInspectionOptions,
): RampartBlockedError | undefined {
  const context = currentContext();
  if (context === undefined) return undefined;

  const pollution = checkPrototypePollutionAtSink(sink);
  if (pollution !== undefined) return pollution;

  const inputs = context.inputs();
  if (inputs.length === 0) return undefined;

  // Fast path: no input can be an operator object and the operation runs no JavaScript.
  const operatorsPossible = options.judgeOperators !== false && mayCarryOperators(inputs);
  const hasCode = documents.some((document) => containsServerCode(document.value, 0));
  if (!operatorsPossible && !hasCode) return undefined;

  const userOperators = operatorsPossible
    ? userOperatorsOf(context.structuredInputs())
    : noUserOperators;
  if (userOperators.list.length === 0 && !hasCode) return undefined;

  const operation = describeMongoOperation(
    method,
    documents.map((document) => document.value),
  );
  return inspect({
    attackType: "nosql_injection",
    sink,
    operation,
    detect: (requestInputs) => {
      const finding = detectNosqlInjection(documents, userOperators, requestInputs);
      if (finding?.operatorKey === undefined) return finding;

      const offset = operation.indexOf(JSON.stringify(finding.operatorKey));
      return { ...finding, offset: Math.max(offset, 0) };
    },
  });
}

/**
 * Judges one MongoDB operation (filters, update, pipeline) against the current request. Returns
 * the error to deliver when the operation must not run, else undefined. Shared by the driver and
 * mongoose patches.
 */
export function inspectMongoOperation(
  sink: string,
  method: string,
  documents: readonly MongoDocument[],
  options: MongoInspectionOptions = {},
): RampartBlockedError | undefined {
  if (!isInspecting("nosql_injection") && !isInspecting("prototype_pollution")) return undefined;

  return failOpen(`inspect.${sink}`, undefined, () =>
    inspectInRequest(sink, method, documents, options),
  );
}

/** Returns whether the driver should skip judging this call: nested in another judged call, or judged by mongoose. */
function alreadyJudged(first: unknown): boolean {
  return (
    nestedCallDepth > 0 ||
    (typeof first === "object" && first !== null && judgedByMongoose.has(first))
  );
}

/** Argument positions of the documents each promise-returning Collection method takes. */
const promiseMethods: Readonly<
  Record<string, readonly (readonly [number, MongoDocument["role"]])[]>
> = {
  findOne: [[0, "filter"]],
  countDocuments: [[0, "filter"]],
  count: [[0, "filter"]],
  distinct: [[1, "filter"]],
  deleteOne: [[0, "filter"]],
  deleteMany: [[0, "filter"]],
  findOneAndDelete: [[0, "filter"]],
  updateOne: [
    [0, "filter"],
    [1, "update"],
  ],
  updateMany: [
    [0, "filter"],
    [1, "update"],
  ],
  findOneAndUpdate: [
    [0, "filter"],
    [1, "update"],
  ],
  // A replacement document is stored data, so only the filter is judged.
  replaceOne: [[0, "filter"]],
  findOneAndReplace: [[0, "filter"]],
};

function documentsOf(
  args: readonly unknown[],
  positions: readonly (readonly [number, MongoDocument["role"]])[],
): MongoDocument[] {
  return positions.map(([index, role]) => ({ role, value: args[index] }));
}

/**
 * Wraps a Collection method that returns a promise. A blocked call returns a rejected promise, as
 * the driver reports an invalid operation, and sends nothing. The original runs with
 * `nestedCallDepth` raised until its first `await`, which covers the nested `find` of `findOne`
 * and `aggregate` of `countDocuments`.
 */
function wrapPromiseMethod(
  method: string,
  positions: readonly (readonly [number, MongoDocument["role"]])[],
) {
  return (original: AnyMethod): AnyMethod =>
    function judgedMethod(this: unknown, ...args: unknown[]) {
      const judged = alreadyJudged(args[positions[0]?.[0] ?? 0]);
      if (!judged) {
        const blocked = inspectMongoOperation(
          `mongodb.Collection.${method}`,
          method,
          documentsOf(args, positions),
        );
        if (blocked !== undefined) return Promise.reject(blocked);
      }

      nestedCallDepth++;
      try {
        return original.apply(this, args);
      } finally {
        nestedCallDepth--;
      }
    };
}

/**
 * Makes a cursor fail on its first read with the blocked error, before it sends its command. The
 * driver 7 runs the command in `_initialize`, which every read (`next`, `toArray`, iteration) calls.
 * NOTE: `cursor.clone()` builds a new cursor from the same filter, which is not blocked.
 */
function blockCursor(cursor: unknown, error: RampartBlockedError): unknown {
  if (typeof cursor !== "object" || cursor === null) return cursor;

  Object.defineProperty(cursor, "_initialize", {
    configurable: true,
    writable: true,
    value: function blockedInitialize() {
      return Promise.reject(error);
    },
  });
  return cursor;
}

/** Wraps `find` or `aggregate`, which return a cursor that sends its command on the first read. */
function wrapCursorMethod(method: "find" | "aggregate") {
  const role: MongoDocument["role"] = method === "find" ? "filter" : "pipeline";
  return (original: AnyMethod): AnyMethod =>
    function judgedCursorMethod(this: unknown, ...args: unknown[]) {
      const cursor = original.apply(this, args);
      if (alreadyJudged(args[0])) return cursor;

      const blocked = inspectMongoOperation(`mongodb.Collection.${method}`, method, [
        { role, value: args[0] },
      ]);
      return blocked === undefined ? cursor : blockCursor(cursor, blocked);
    };
}

/** Returns the filter and update documents of one `bulkWrite` operation (`{ updateOne: { filter, update } }`). */
function bulkOperationDocuments(operation: unknown): MongoDocument[] {
  if (typeof operation !== "object" || operation === null) return [];

  const documents: MongoDocument[] = [];
  for (const name of ["updateOne", "updateMany", "replaceOne", "deleteOne", "deleteMany"]) {
    const model = (operation as Record<string, unknown>)[name];
    if (typeof model !== "object" || model === null) continue;

    const { filter, update } = model as { filter?: unknown; update?: unknown };
    documents.push({ role: "filter", value: filter });
    if (update !== undefined) documents.push({ role: "update", value: update });
  }
  return documents;
}

function wrapBulkWrite(original: AnyMethod): AnyMethod {
  return function bulkWrite(this: unknown, ...args: unknown[]) {
    const operations = args[0];
    if (Array.isArray(operations) && !alreadyJudged(operations)) {
      const documents = operations.flatMap(bulkOperationDocuments);
      const blocked = inspectMongoOperation("mongodb.Collection.bulkWrite", "bulkWrite", documents);
      if (blocked !== undefined) return Promise.reject(blocked);
    }
    return original.apply(this, args);
  };
}

type ClassExport = { prototype: object } | undefined;

/**
 * Returns the driver's Collection class. Under `import`, the hook can see the exports object while
 * `lib/index.js` still contains `void 0` in place of its getters, so the class is then loaded from its
 * own file, the same module instance that the driver uses.
 */
function collectionClass(moduleExports: unknown, baseDir: string): ClassExport {
  const exported = (moduleExports as { Collection?: ClassExport }).Collection;
  if (exported !== undefined) return exported;

  const load = createRequire(path.join(baseDir, "package.json"));
  return (load("./lib/collection.js") as { Collection?: ClassExport }).Collection;
}

/**
 * The MongoDB driver 7: every Collection method that sends a filter, update or pipeline.
 * `estimatedDocumentCount` takes no filter and `insertOne`/`insertMany` store data, so they are not
 * wrapped. Mongoose 9 calls the driver too; see mongoose.ts for how its calls are judged once.
 */
export const mongodb: ModuleInstrumentation = {
  name: "mongodb",
  majorVersions: [7],
  patch(moduleExports, _version, baseDir) {
    const Collection = collectionClass(moduleExports, baseDir);
    if (Collection === undefined) return undefined;

    const prototype = Collection.prototype as Record<string, unknown>;
    for (const [method, positions] of Object.entries(promiseMethods)) {
      wrapMethod(prototype, method, wrapPromiseMethod(method, positions));
    }
    wrapMethod(prototype, "find", wrapCursorMethod("find"));
    wrapMethod(prototype, "aggregate", wrapCursorMethod("aggregate"));
    wrapMethod(prototype, "bulkWrite", wrapBulkWrite);
    return undefined;
  },
};
