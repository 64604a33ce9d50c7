import { maxPathLength } from "../../context/input-collector";
import type { StructuredInput } from "../../context/request-inputs";
import type { Finding, InputSource } from "../types";

/**
 * Returns whether `key`, reached after `previousKey`, leads to a prototype: `__proto__` always,
 * `prototype` after `constructor` always, and `prototype` alone only when an object hangs below
 * it (`{"prototype": {"isAdmin": true}}`), because that is what a deep merge into a function
 * needs. A field named `constructor`, `proto` or `prototypes` is an ordinary key.
 */
export function isPollutingKey(
  key: string,
  previousKey: string | undefined,
  leadsToObject: boolean,
): boolean {
  if (key === "__proto__") return true;
  if (key !== "prototype") return false;
  return previousKey === "constructor" || leadsToObject;
}

/** Appends a key to a path, keeping paths of deeply nested values at about `maxPathLength` characters. */
function joinPath(parent: string, key: string): string {
  if (parent.endsWith("…")) return parent;

  const path = `${parent}.${key}`;
  return path.length <= maxPathLength ? path : `${path.slice(0, maxPathLength)}…`;
}

/** Builds the finding for a polluting key, with the key path as the input path. */
function pollutionFinding(source: InputSource, path: string, key: string): Finding {
  return { input: { source, path, value: key }, offset: 0, reason: "prototype-key" };
}

interface PendingValue {
  readonly path: string;
  readonly key: string | undefined;
  readonly value: unknown;
}

/**
 * Finds the first polluting key in a parsed value such as a JSON body, walking with its own stack.
 * Every object is visited, so padding cannot hide a key placed after it; the body parser's size
 * limit bounds the work.
 */
function findInValue(part: StructuredInput): Finding | undefined {
  const pending: PendingValue[] = [{ path: part.path, key: undefined, value: part.value }];
  const seen = new Set<object>();

  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value } = next;
    if (typeof value !== "object" || value === null || seen.has(value)) continue;
    seen.add(value);

    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const path = joinPath(next.path, key);
      const leadsToObject = typeof child === "object" && child !== null;
      if (!Array.isArray(value) && isPollutingKey(key, next.key, leadsToObject)) {
        return pollutionFinding(part.source, path, key);
      }
      pending.push({ path, key, value: child });
    }
  }
  return undefined;
}

/**
 * Finds the first polluting key in a query string's key paths (`__proto__[x]`,
 * `constructor[prototype][x]`). Query parsers such as `qs` drop these keys, so the raw key paths
 * are judged: they show the attempt even when the parser defused it.
 */
export function findPollutingQueryKey(
  keyPaths: readonly (readonly string[])[],
): Finding | undefined {
  for (const keys of keyPaths) {
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      const leadsToObject = index < keys.length - 1;
      if (isPollutingKey(key, keys[index - 1], leadsToObject)) {
        return pollutionFinding("query", `query.${keys.slice(0, index + 1).join(".")}`, key);
      }
    }
  }
  return undefined;
}

/** Detects request inputs whose keys reach an object's prototype, in parsed body and params. */
export function detectPrototypePollution(parts: readonly StructuredInput[]): Finding | undefined {
  for (const part of parts) {
    const finding = findInValue(part);
    if (finding !== undefined) return finding;
  }
  return undefined;
}
