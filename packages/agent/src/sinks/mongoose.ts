import { createRequire } from "node:module";
import path from "node:path";

import type { MongoDocument } from "../detectors/nosql/detect";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";
import { inspectMongoOperation, markJudgedByMongoose } from "./mongodb";

type ExecMethod = (this: unknown, ...args: unknown[]) => unknown;

interface MongooseOptionsHolder {
  readonly sanitizeFilter?: unknown;
}

/** The fields of a mongoose 9 Query that decide what it sends. */
interface MongooseQuery {
  op?: unknown;
  _conditions?: unknown;
  _update?: unknown;
  _mongooseOptions?: MongooseOptionsHolder;
  model?: {
    db?: { config?: MongooseOptionsHolder; options?: MongooseOptionsHolder };
    base?: { options?: MongooseOptionsHolder };
  };
}

interface MongooseAggregate {
  _pipeline?: unknown;
}

/** Sink names are `<module>.<method>`; an op that is not a plain name is reported as `exec`. */
const operationNamePattern = /^\w+$/;

/**
 * Returns whether mongoose will apply `sanitizeFilter` to this query, looked up in the order that
 * mongoose 9's `Query#_castConditions` uses. It then wraps every user object with operator keys
 * in `$eq` and rejects other top-level operators, so operator objects cannot change the query.
 */
function sanitizesFilter(query: MongooseQuery): boolean {
  const option =
    query.model?.db?.config?.sanitizeFilter ??
    query.model?.db?.options?.sanitizeFilter ??
    query.model?.base?.options?.sanitizeFilter ??
    query._mongooseOptions?.sanitizeFilter;
  return option === true;
}

/**
 * Judges `Query#exec`, which every query runs through (`await Model.find()` calls `then`, which calls
 * `exec`). The filter is read before mongoose casts it, so a user string that the schema turns into a
 * number or ObjectId still matches the request's value. A blocked query rejects, as a query that
 * fails to cast does.
 */
function wrapQueryExec(original: ExecMethod): ExecMethod {
  return function exec(this: unknown, ...args: unknown[]) {
    const query = this as MongooseQuery;
    const op = typeof args[0] === "string" ? args[0] : query.op;
    const name = typeof op === "string" && operationNamePattern.test(op) ? op : "exec";

    const documents: MongoDocument[] = [{ role: "filter", value: query._conditions }];
    if (typeof query._update === "object" && query._update !== null) {
      documents.push({ role: "update", value: query._update });
    }

    const blocked = inspectMongoOperation(`mongoose.Query.${name}`, name, documents, {
      judgeOperators: !sanitizesFilter(query),
    });
    if (blocked !== undefined) return Promise.reject(blocked);

    markJudgedByMongoose(query._conditions);
    return original.apply(this, args);
  };
}

/** Judges `Aggregate#exec` (`await Model.aggregate(pipeline)`), which sends the pipeline unchanged. */
function wrapAggregateExec(original: ExecMethod): ExecMethod {
  return function exec(this: unknown, ...args: unknown[]) {
    const pipeline = (this as MongooseAggregate)._pipeline;
    const blocked = inspectMongoOperation("mongoose.Aggregate.exec", "aggregate", [
      { role: "pipeline", value: pipeline },
    ]);
    if (blocked !== undefined) return Promise.reject(blocked);

    markJudgedByMongoose(pipeline);
    return original.apply(this, args);
  };
}

type ClassExport = { prototype: object } | undefined;

/**
 * Returns a mongoose class from the exports, or from its own file when the exports object is not
 * filled in yet. The driver's exports show that state under `import`, as mongodb.ts describes.
 */
function mongooseClass(
  moduleExports: unknown,
  baseDir: string,
  name: string,
  file: string,
): ClassExport {
  const exported = (moduleExports as Record<string, ClassExport>)[name];
  if (exported !== undefined) return exported;

  const load = createRequire(path.join(baseDir, "package.json"));
  const loaded = load(file) as ClassExport;
  return typeof loaded === "function" ? loaded : undefined;
}

/**
 * Mongoose 9. Queries are judged at `exec`, where the final filter is known, and in the caller's
 * request context: when mongoose buffers a query until the connection opens, the driver call runs
 * later in another context, so judging only at the driver would miss it.
 * NOTE: `strictQuery` (off by default since mongoose 7) removes unknown paths from filters but keeps
 * operators on known paths, so it does not change what is judged here.
 */
export const mongoose: ModuleInstrumentation = {
  name: "mongoose",
  majorVersions: [9],
  patch(moduleExports, _version, baseDir) {
    const Query = mongooseClass(moduleExports, baseDir, "Query", "./lib/query.js");
    const Aggregate = mongooseClass(moduleExports, baseDir, "Aggregate", "./lib/aggregate.js");
    if (Query !== undefined) {
      wrapMethod(Query.prototype as Record<string, unknown>, "exec", wrapQueryExec);
    }
    if (Aggregate !== undefined) {
      wrapMethod(Aggregate.prototype as Record<string, unknown>, "exec", wrapAggregateExec);
    }
    return undefined;
  },
};
