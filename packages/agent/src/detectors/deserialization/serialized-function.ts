import type { Finding, UserInput } from "../types";

/** Prefix with which node-serialize marks a string value as function source; `unserialize` evaluates it. */
export const functionMarker = "_$$ND_FUNC$$_";

/**
 * Returns a finding when node-serialize's `unserialize(data)` would evaluate a function that a
 * user input supplied. `data` is the JSON text or the object passed to `unserialize`.
 *
 * node-serialize 0.0.4 evaluates every string value that starts with the marker, at any depth.
 * Such a value counts as user-supplied when a user input contains it. It also counts when the
 * text contains a user input that decodes to text with the marker, as a JSON document or as JSON
 * string content, which covers the escaped spelling `_$$\u004e\u0044_FUNC$$_`. Values that the application
 * serialized itself, with no user input in them, are not judged.
 */
export function detectSerializedFunction(
  data: unknown,
  inputs: Iterable<UserInput>,
): Finding | undefined {
  const text = typeof data === "string" ? data : undefined;
  const markedValues = functionValues(text === undefined ? data : parseJson(text));
  if (markedValues.length === 0) return undefined;

  for (const input of inputs) {
    if (input.value.length < 2) continue;

    if (markedValues.some((value) => input.value.includes(value))) {
      return {
        input,
        offset: Math.max(0, text?.indexOf(input.value) ?? 0),
        reason: "serialized-function",
      };
    }
    const offset = text?.indexOf(input.value) ?? -1;
    if (offset >= 0 && decodesToMarker(input.value)) {
      return { input, offset, reason: "serialized-function" };
    }
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Returns the string values that start with the marker, walking objects and arrays as `unserialize`
 * does. Every value is walked, because `unserialize` also walks every value: padding a document
 * with thousands of values must not hide a marked one. The walk is linear in the document's size.
 */
function functionValues(root: unknown): string[] {
  const found: string[] = [];
  const pending: unknown[] = [root];
  const seen = new Set<object>();

  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      if (value.startsWith(functionMarker)) found.push(value);
      continue;
    }
    if (typeof value !== "object" || value === null || seen.has(value)) continue;

    seen.add(value);
    for (const key of Object.keys(value)) pending.push((value as Record<string, unknown>)[key]);
  }
  return found;
}

/** True when the input, read as a JSON document or as the content of a JSON string, contains a marked value. */
function decodesToMarker(value: string): boolean {
  if (value.includes(functionMarker)) return true;
  if (!value.includes("\\")) return false;

  if (functionValues(parseJson(value)).length > 0) return true;
  const content = parseJson(`"${value}"`);
  return typeof content === "string" && content.includes(functionMarker);
}
