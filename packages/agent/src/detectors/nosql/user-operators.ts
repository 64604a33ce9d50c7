import { base64DecodedForms } from "../../context/encoded-text";
import { maxPathLength } from "../../context/input-collector";
import type { StructuredInput } from "../../context/request-inputs";
import type { UserInput } from "../types";
import { describeBoundedValue } from "./describe";

/** An object from the request whose own keys include MongoDB operators (`{ "$ne": "" }`). */
export interface UserOperator {
  /** The object's path (`body.password`) and its JSON text, as the event reports it. */
  readonly input: UserInput;
  readonly object: Readonly<Record<string, unknown>>;
}

/**
 * Maximum number of structural comparison steps per operation, between objects of the operation
 * and user operator objects that the app may have copied (see `detectNosqlInjection`).
 */
export const maxComparisonSteps = 20_000;

/** Maximum length of the JSON text that an event reports for a user-supplied operator object. */
const maxReportedLength = 512;

interface PendingValue {
  readonly path: string;
  readonly value: unknown;
}

/** Returns whether a key is a MongoDB operator or `$`-prefixed field name. */
export function isOperatorKey(key: string): boolean {
  return key.charCodeAt(0) === 0x24; // `$`
}

function hasOperatorKey(object: object): boolean {
  for (const key in object) {
    if (Object.hasOwn(object, key) && isOperatorKey(key)) return true;
  }
  return false;
}

/** Returns JSON-like text of a user value for an event, bounded in length and in work. */
export function describeUserValue(value: unknown): string {
  return describeBoundedValue(value, maxReportedLength);
}

/**
 * The input of a user operator object. Its text is built on first read, when an event reports it:
 * a body may carry tens of thousands of operator objects, of which at most one is reported.
 */
class OperatorObjectInput implements UserInput {
  private text: string | undefined;

  constructor(
    readonly source: UserInput["source"],
    readonly path: string,
    private readonly object: object,
  ) {}

  get value(): string {
    this.text ??= describeUserValue(this.object);
    return this.text;
  }
}

/** Parses a string leaf that contains a JSON object with an operator key (`{"$gt":""}`), for apps that JSON.parse an input. */
function parseOperatorJson(text: string): unknown {
  if (text.length < 4 || !text.includes('"$')) return undefined;

  const first = text.trimStart().charCodeAt(0);
  if (first !== 0x7b && first !== 0x5b) return undefined; // `{` or `[`
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Returns the JSON documents with operator keys that a string holds: as JSON text, or as base64,
 * base64url or JWT payload text that decodes to JSON (an app that decodes a token and queries with
 * its claims).
 */
function operatorJsonForms(text: string): unknown[] {
  const direct = parseOperatorJson(text);
  if (direct !== undefined) return [direct];

  const forms: unknown[] = [];
  for (const decoded of base64DecodedForms(text)) {
    const parsed = parseOperatorJson(decoded);
    if (parsed !== undefined) forms.push(parsed);
  }
  return forms;
}

/**
 * The user operator objects of one request, indexed so that judging an operation costs about one
 * lookup per operator key, however many operator objects the request carries.
 */
export interface UserOperators {
  readonly list: readonly UserOperator[];
  /** Each object itself, for the common case where the app passes the request's object on. */
  readonly byObject: ReadonlyMap<object, UserOperator>;
  /** `<key>\0<String(value)>` for operator keys whose value is not an object. */
  readonly byPrimitive: ReadonlyMap<string, readonly UserOperator[]>;
  /** Operator keys whose value is an object or array, compared structurally. */
  readonly byKey: ReadonlyMap<string, readonly UserOperator[]>;
}

/** No user operators, for requests that cannot carry any. */
export const noUserOperators: UserOperators = {
  list: [],
  byObject: new Map(),
  byPrimitive: new Map(),
  byKey: new Map(),
};

/**
 * Index key of an operator with a primitive value. Casts compare by their string form: `"17"`
 * matches 17, and an ISO date string matches the Date an app built from it.
 */
export function primitiveIndexKey(key: string, value: unknown): string {
  const text = value instanceof Date ? dateText(value) : String(value ?? null);
  return `${key}\0${text}`;
}

function dateText(date: Date): string {
  return Number.isNaN(date.getTime()) ? "Invalid Date" : date.toISOString();
}

function appendTo<K>(map: Map<K, UserOperator[]>, key: K, operator: UserOperator): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [operator]);
  else list.push(operator);
}

function indexOperators(list: UserOperator[]): UserOperators {
  const byObject = new Map<object, UserOperator>();
  const byPrimitive = new Map<string, UserOperator[]>();
  const byKey = new Map<string, UserOperator[]>();

  for (const operator of list) {
    byObject.set(operator.object, operator);
    for (const key of Object.keys(operator.object)) {
      if (!isOperatorKey(key)) continue;

      const value = operator.object[key];
      if (typeof value === "object" && value !== null) appendTo(byKey, key, operator);
      else appendTo(byPrimitive, primitiveIndexKey(key, value), operator);
    }
  }
  return { list, byObject, byPrimitive, byKey };
}

/**
 * Finds every object in the request's parsed parts that carries an operator key, including those
 * inside string values that hold JSON, directly or base64-encoded. The walk uses its own stack, so
 * nesting depth cannot overflow the call stack. It visits every object, because padding a body
 * with thousands of empty objects (90 kB of `{},` fits Express's default 100 kB limit) must not
 * hide an operator placed after them. The body parser's size limit bounds the work.
 */
export function findUserOperators(parts: readonly StructuredInput[]): UserOperators {
  return indexOperators(collectUserOperators(parts));
}

function collectUserOperators(parts: readonly StructuredInput[]): UserOperator[] {
  const found: UserOperator[] = [];
  const seen = new Set<object>();

  for (const part of parts) {
    const pending: PendingValue[] = [{ path: part.path, value: part.value }];

    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const { path, value } = next;
      if (typeof value === "string") {
        for (const parsed of operatorJsonForms(value)) pending.push({ path, value: parsed });
        continue;
      }
      if (typeof value !== "object" || value === null || seen.has(value)) continue;
      seen.add(value);

      if (!Array.isArray(value) && hasOperatorKey(value)) {
        const input = new OperatorObjectInput(part.source, path, value);
        found.push({ input, object: value as Record<string, unknown> });
      }

      // Children are pushed in reverse so that they are visited in document order.
      const keys = Object.keys(value);
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string;
        pending.push({ path: joinPath(path, key), value: (value as Record<string, unknown>)[key] });
      }
    }
  }
  return found;
}

/** Appends a key to a path, keeping paths of deeply nested values at about `maxPathLength` characters. */
function joinPath(parent: string, key: string): string {
  if (parent.endsWith("…")) return parent;

  const path = `${parent}.${key}`;
  return path.length <= maxPathLength ? path : `${path.slice(0, maxPathLength)}…`;
}

/**
 * Returns whether any input could carry an operator: a key or a value that starts with `$`, or a
 * JSON text holding `"$`. This loop allocates nothing, so requests without such inputs cost little.
 */
export function mayCarryOperators(inputs: readonly UserInput[]): boolean {
  for (const input of inputs) {
    const value = input.value;
    if (value.charCodeAt(0) === 0x24) return true;
    if (value.length > 3 && value.includes('"$')) return true;
  }
  return false;
}
