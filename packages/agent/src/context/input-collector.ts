import type { InputSource, UserInput } from "../detectors/types";
import { base64DecodedForms } from "./encoded-text";
import { decodeComponent } from "./query-string";
import { TextMemo } from "./text-memo";

/**
 * Maximum length of an input path, in characters. Longer paths are cut and end in `…`, so a body
 * nested thousands of levels deep does not cost memory quadratic in its depth.
 */
export const maxPathLength = 256;

/**
 * JSON texts parsed before, with undefined for text that does not parse. Mostly the header and
 * payload of a client's JSON Web Token, which arrive with each of its requests. The walk only
 * reads the parsed values, so one parse serves every request. Texts up to 1,024 characters, 256
 * of them: an estimated 2 MB at most with their parsed values.
 */
const parsedJson = new TextMemo<unknown>(256, 1_024);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface PendingValue {
  readonly path: string;
  readonly value: unknown;
}

/**
 * Gathers the string inputs of one request. Besides each raw value it adds the forms an app may
 * derive from it before building an operation. These are the URL-decoded value, the leaves of a
 * value that parses as a JSON object or array, and the text that a base64 value, an authorization
 * token or a JSON Web Token decodes to (see `base64DecodedForms`). Decoded base64 is not decoded
 * as base64 again, so one value yields a bounded number of forms.
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
  /** True while the forms of a base64-decoded text are added. */
  private insideBase64 = false;

  addString(source: InputSource, path: string, value: string): void {
    if (value === "" || this.values.has(value)) return;
    this.push(source, path, value);

    if (value.includes("%")) {
      const decoded = decodeComponent(value);
      if (decoded !== value && !this.values.has(decoded)) this.push(source, path, decoded);
    }

    if (looksLikeJson(value)) this.addJsonText(source, path, value);

    if (!this.insideBase64) this.addBase64Forms(source, path, value);
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
      this.seen.add(value);
      this.addObject(source, next.path, value, pending);
    }
  }

  /**
   * Adds the keys of one object and queues its children. An app may attach its own objects to
   * req.body: a revoked Proxy throws on `Array.isArray` and `Object.keys`, and a getter may throw.
   * Such an object or property is skipped, and the walk goes on with the rest.
   */
  private addObject(
    source: InputSource,
    path: string,
    value: object,
    pending: PendingValue[],
  ): void {
    let keys: string[];
    let isArray: boolean;
    try {
      if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return;
      isArray = Array.isArray(value);
      keys = Object.keys(value);
    } catch {
      return;
    }

    // Keys are user input too: apps build column lists and update sets from them.
    if (!isArray) {
      for (const key of keys) this.addString(source, joinPath(path, key), key);
    }

    // Children are pushed in reverse so that they are visited in document order.
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index] as string;
      pending.push({ path: joinPath(path, key), value: readProperty(value, key) });
    }
  }

  private addBase64Forms(source: InputSource, path: string, value: string): void {
    const forms = base64DecodedForms(value);
    if (forms.length === 0) return;

    this.insideBase64 = true;
    try {
      for (const form of forms) this.addString(source, path, form);
    } finally {
      this.insideBase64 = false;
    }
  }

  private addJsonText(source: InputSource, path: string, text: string): void {
    const parsed = parsedJson.get(text, parseJson);
    if (parsed !== undefined) this.addValue(source, path, parsed);
  }

  private push(source: InputSource, path: string, value: string): void {
    this.values.add(value);
    this.inputs.push({ source, path, value });
  }
}

/** Reads one property; a getter that throws makes the value undefined, so the walk goes on. */
function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
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
