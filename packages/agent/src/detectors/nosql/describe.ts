/**
 * Maximum length of an operation's text, in characters. Events cut the text further; this bound
 * only keeps the work on a large filter small.
 */
const maxDescriptionLength = 4096;

/** Maximum nesting shown in an operation's text; deeper values are written as `…`. */
const maxDescriptionDepth = 12;

interface Budget {
  length: number;
  readonly maxLength: number;
}

function describeValue(
  value: unknown,
  depth: number,
  seen: Set<object>,
  parts: string[],
  budget: Budget,
): void {
  if (budget.length > budget.maxLength) return;

  let text: string;
  if (value === undefined) text = "undefined";
  else if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "function") text = "[function]";
  else if (typeof value !== "object" || value === null) text = String(value);
  else if (seen.has(value) || depth >= maxDescriptionDepth) text = "…";
  else if (value instanceof Date)
    text = Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  else if (Array.isArray(value) || isPlainObject(value)) {
    describeContainer(value, depth, seen, parts, budget);
    return;
  } else text = describeInstance(value);

  parts.push(text);
  budget.length += text.length;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Describes a BSON value or other class instance by its own `toString` when it has one (ObjectId gives its hex). */
function describeInstance(value: object): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  const label = typeof name === "string" ? name : "Object";
  if (value instanceof RegExp) return String(value);

  const text = Object.hasOwn(Object.getPrototypeOf(value) as object, "toString")
    ? String(value)
    : "";
  return text === "" || text.startsWith("[object") ? label : `${label}(${text})`;
}

function describeContainer(
  value: object,
  depth: number,
  seen: Set<object>,
  parts: string[],
  budget: Budget,
): void {
  seen.add(value);
  const isArray = Array.isArray(value);
  parts.push(isArray ? "[" : "{");
  budget.length += 1;

  let first = true;
  for (const key of Object.keys(value)) {
    if (budget.length > budget.maxLength) break;
    if (!first) parts.push(",");
    first = false;

    if (!isArray) {
      const label = `${JSON.stringify(key)}:`;
      parts.push(label);
      budget.length += label.length;
    }
    describeValue((value as Record<string, unknown>)[key], depth + 1, seen, parts, budget);
  }

  parts.push(isArray ? "]" : "}");
  budget.length += 1;
  seen.delete(value);
}

/**
 * Writes a MongoDB operation as text for events, such as `find {"user":{"$ne":""}}`. JSON-like,
 * bounded in length and depth, and safe on cycles and getters that throw.
 */
export function describeMongoOperation(method: string, documents: readonly unknown[]): string {
  const parts: string[] = [method];
  const budget = { length: method.length, maxLength: maxDescriptionLength };
  for (const document of documents) {
    parts.push(" ");
    try {
      describeValue(document, 0, new Set(), parts, budget);
    } catch {
      parts.push("…");
    }
  }

  const text = parts.join("");
  return text.length <= maxDescriptionLength ? text : `${text.slice(0, maxDescriptionLength)}…`;
}

/** Writes one value as JSON-like text of at most about `maxLength` characters, as `describeMongoOperation` does. */
export function describeBoundedValue(value: unknown, maxLength: number): string {
  const parts: string[] = [];
  try {
    describeValue(value, 0, new Set(), parts, { length: 0, maxLength });
  } catch {
    parts.push("…");
  }

  const text = parts.join("");
  return text.length <= maxLength ? text : `${text.slice(0, maxLength)}…`;
}
