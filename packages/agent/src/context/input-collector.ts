import type { InputSource, UserInput } from "../detectors/types";
import { decodeComponent } from "./query-string";

/**
 * Maximum length of an input path, in characters. Longer paths are cut and end in `…`, so a body
 * nested thousands of levels deep does not cost memory quadratic in its depth.
 */
export const maxPathLength = 256;

interface PendingValue {
  readonly path: string;
  readonly value: unknown;
}

/**
 * Gathers the string inputs of one request. Besides each raw value it adds the forms an app may
 * derive from it before building an operation: the URL-decoded value, and the leaves of a value
 * that parses as a JSON object or array.
 *
 * Nothing is dropped for size: padding a request with thousands of values must not push an attack
 * out of view. Repeated values are kept once, with the first path they appeared at, so a body
 * padded with one value costs one input, and the total is bounded by the body parser's size limit.
 */
export class InputCollector {
  readonly inputs: UserInput[] = [];
  private readonly values = new Set<string>();
  // A plain Set: the collector lives for one extraction, and WeakSet entries cost the garbage
  // collector more than the strong references they would avoid.
  private readonly seen = new Set<object>();

  addString(source: InputSource, path: string, value: string): void {
    if (value === "" || this.values.has(value)) return;
    this.push(source, path, value);

    if (value.includes("%")) {
      const decoded = decodeComponent(value);
      if (decoded !== value && !this.values.has(decoded)) this.push(source, path, decoded);
    }

    if (looksLikeJson(value)) this.addJsonText(source, path, value);
  }

  /**
   * Adds every string leaf and every key of a parsed value (body, params). The walk uses its own
   * stack rather than recursion, so nesting depth cannot overflow the call stack.
   */
  addValue(source: InputSource, path: string, root: unknown): void {
    const pending: PendingValue[] = [{ path, value: root }];

    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const { value } = next;
      if (typeof value === "string") {
        this.addString(source, next.path, value);
        continue;
      }
      if (value === null || typeof value !== "object" || this.seen.has(value)) continue;
      if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) continue;
      this.seen.add(value);

      // Keys are user input too: apps build column lists and update sets from them.
      const keys = Object.keys(value);
      if (!Array.isArray(value)) {
        for (const key of keys) this.addString(source, joinPath(next.path, key), key);
      }

      // Children are pushed in reverse so that they are visited in document order.
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string;
        pending.push({
          path: joinPath(next.path, key),
          value: (value as Record<string, unknown>)[key],
        });
      }
    }
  }

  private addJsonText(source: InputSource, path: string, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    this.addValue(source, path, parsed);
  }

  private push(source: InputSource, path: string, value: string): void {
    this.values.add(value);
    this.inputs.push({ source, path, value });
  }
}

function joinPath(parent: string, key: string): string {
  if (parent.endsWith("…")) return parent;

  const path = `${parent}.${key}`;
  return path.length <= maxPathLength ? path : `${path.slice(0, maxPathLength)}…`;
}

/** Returns whether the first non-whitespace character opens a JSON object or array, without allocating. */
function looksLikeJson(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code === 0x7b || code === 0x5b) return value.length >= 2; // `{` or `[`
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return false;
  }
  return false;
}
