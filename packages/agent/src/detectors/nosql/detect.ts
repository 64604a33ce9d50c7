import type { Finding, UserInput } from "../types";
import { findServerCodeInjection } from "./server-code";
import {
  isOperatorKey,
  maxComparisonSteps,
  primitiveIndexKey,
  type UserOperator,
  type UserOperators,
} from "./user-operators";

/** One document of a MongoDB operation, with the role that decides how its keys are read. */
export interface MongoDocument {
  /**
   * `filter`: a query document (`find`, `updateOne`'s first argument); `pipeline`: an aggregation
   * pipeline; `update`: an update document, whose values below the operators are data.
   */
  readonly role: "filter" | "pipeline" | "update";
  readonly value: unknown;
}

/** A finding of the NoSQL detector; `operatorKey` names the user-supplied operator, when there is one. */
export interface NosqlFinding extends Finding {
  readonly operatorKey?: string;
}

/**
 * Operators whose value is a literal that the server compares with, not a query: an object under
 * them is data (`{ $eq: { $ne: 1 } }` matches a stored object). Mongoose's `sanitizeFilter` wraps
 * user objects in `$eq`, so the filters it produces are judged as safe here.
 */
const literalOperators: ReadonlySet<string> = new Set(["$eq", "$ne", "$in", "$nin", "$literal"]);

/** Fields of `$accumulator` that hold JavaScript. */
const accumulatorCodeFields = ["init", "accumulate", "merge", "finalize"] as const;

type PlainObject = Record<string, unknown>;

interface Budget {
  remaining: number;
}

/** True for arrays and plain objects; class instances (ObjectId, Date, Binary, Buffer) are values. */
function isContainer(value: unknown): value is PlainObject | unknown[] {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return true;

  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Code text of a `$where` or `$function` body: a string, or a BSON Code object's `code`. */
function codeText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    const code = (value as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function samePrimitive(stored: unknown, user: unknown): boolean {
  if (stored instanceof Date) {
    if (typeof user !== "string" && typeof user !== "number") return false;
    return new Date(user).getTime() === stored.getTime();
  }
  // A driver or mongoose may have cast the user's string ("1", an ObjectId's hex) to another type.
  return String(stored) === String(user);
}

/**
 * Compares a value found in the operation with a user value. It allows the casts that mongoose and
 * apps apply: a string to a number, ObjectId or Date, and null to undefined. Each step spends `budget`.
 */
function sameUserValue(stored: unknown, user: unknown, budget: Budget): boolean {
  budget.remaining--;
  if (budget.remaining < 0) return false;
  if (stored === user) return true;
  if (stored === null || stored === undefined || user === null || user === undefined) {
    return (stored ?? null) === (user ?? null);
  }
  if (!isContainer(stored) || !isContainer(user)) {
    if (isContainer(stored) || isContainer(user)) return false;
    return samePrimitive(stored, user);
  }

  if (Array.isArray(stored) !== Array.isArray(user)) return false;
  const storedKeys = Object.keys(stored);
  if (storedKeys.length !== Object.keys(user).length) return false;
  for (const key of storedKeys) {
    if (!Object.hasOwn(user, key)) return false;
    if (!sameUserValue((stored as PlainObject)[key], (user as PlainObject)[key], budget)) {
      return false;
    }
  }
  return true;
}

/** Returns the user-supplied operator object that this node of the operation reproduces, if any. */
function userOperatorAt(
  node: PlainObject,
  userOperators: UserOperators,
  budget: Budget,
): { user: UserOperator; key: string } | undefined {
  const same = userOperators.byObject.get(node);

  for (const key in node) {
    if (!Object.hasOwn(node, key) || !isOperatorKey(key)) continue;
    if (same !== undefined) return { user: same, key };

    const value = node[key];
    if (typeof value !== "object" || value === null || value instanceof Date) {
      const user = userOperators.byPrimitive.get(primitiveIndexKey(key, value))?.[0];
      if (user !== undefined) return { user, key };
      continue;
    }

    // NOTE: structural comparisons share one budget per operation, so a request padded with many
    // object-valued decoys under the same operator can exhaust it before the copied object is met.
    for (const user of userOperators.byKey.get(key) ?? []) {
      if (budget.remaining <= 0) return undefined;
      if (sameUserValue(value, user.object[key], budget)) return { user, key };
    }
  }
  return undefined;
}

/** Judges the JavaScript held by `$where`, `$function` or `$accumulator` under `key`. */
function serverCodeFinding(
  key: string,
  value: unknown,
  inputs: readonly UserInput[],
): Finding | undefined {
  if (key === "$where") {
    const code = codeText(value);
    return code === undefined ? undefined : findServerCodeInjection(code, inputs);
  }
  if (typeof value !== "object" || value === null) return undefined;

  const fields = key === "$function" ? (["body"] as const) : accumulatorCodeFields;
  for (const field of fields) {
    const code = codeText((value as PlainObject)[field]);
    const finding = code === undefined ? undefined : findServerCodeInjection(code, inputs);
    if (finding !== undefined) return finding;
  }
  return undefined;
}

/**
 * State of one operation's walk. Every object of the operation is visited, so an operator placed
 * after thousands of padding objects is still judged: the walk is linear in the operation's size,
 * and only the structural comparisons with copied user objects share `budget`.
 */
interface Walk {
  readonly userOperators: UserOperators;
  readonly inputs: readonly UserInput[];
  readonly budget: Budget;
}

/**
 * Walks a filter or pipeline with its own stack. `depthLimit` 1 judges only the root and its
 * direct values, which is how an update document is read: its deeper values are stored data.
 */
function walkDocument(root: unknown, walk: Walk, depthLimit: number): NosqlFinding | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  const seen = new Set<object>();

  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    if (!isContainer(value) || seen.has(value)) continue;
    seen.add(value);

    if (!Array.isArray(value) && walk.userOperators.list.length > 0) {
      const match = userOperatorAt(value, walk.userOperators, walk.budget);
      if (match !== undefined) {
        return {
          input: match.user.input,
          offset: 0,
          reason: "user-operator-object",
          operatorKey: match.key,
        };
      }
    }

    const keys = Object.keys(value);
    for (const key of keys) {
      if (key !== "$where" && key !== "$function" && key !== "$accumulator") continue;
      const finding = serverCodeFinding(key, (value as PlainObject)[key], walk.inputs);
      if (finding !== undefined) return finding;
    }

    if (depth >= depthLimit) continue;
    // Children are pushed in reverse so that they are judged in document order.
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index] as string;
      if (!literalOperators.has(key)) {
        pending.push({ value: (value as PlainObject)[key], depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * Detects NoSQL injection in a MongoDB operation: an object with operator keys that the request
 * supplied where the app expected a value (`{ password: { $ne: "" } }` from a JSON body or
 * `password[$ne]=` in a query string), or user text that adds code to a `$where`, `$function` or
 * `$accumulator` body. Operators that the app wrote itself, and user strings used as values, pass.
 */
export function detectNosqlInjection(
  documents: readonly MongoDocument[],
  userOperators: UserOperators,
  inputs: readonly UserInput[],
): NosqlFinding | undefined {
  const walk: Walk = { userOperators, inputs, budget: { remaining: maxComparisonSteps } };

  for (const document of documents) {
    const isUpdatePipeline = document.role === "update" && Array.isArray(document.value);
    const depthLimit =
      document.role === "update" && !isUpdatePipeline ? 1 : Number.POSITIVE_INFINITY;
    const finding = walkDocument(document.value, walk, depthLimit);
    if (finding !== undefined) return finding;
  }
  return undefined;
}
