import type { InputSource, UserInput } from "../detectors/types";
import { decodeComponent } from "./query-string";

/** Deepest object nesting followed when collecting inputs; deeper values are ignored and counted. */
export const maxDepth = 64;

/** Most inputs collected from one request; later ones are ignored and counted. */
export const maxInputs = 10_000;

/**
 * Gathers the string inputs of one request. Besides each raw value it adds the forms an app may
 * derive from it before building an operation: the URL-decoded value, and the leaves of a value
 * that parses as a JSON object or array.
 */
export class InputCollector {
  readonly inputs: UserInput[] = [];
  /** Values left out because a limit was reached; reported by the context. */
  skipped = 0;
  private readonly seen = new WeakSet<object>();

  addString(source: InputSource, path: string, value: string): void {
    if (value === "") return;
    if (!this.push(source, path, value)) return;

    if (value.includes("%")) {
      const decoded = decodeComponent(value);
      if (decoded !== value) this.push(source, path, decoded);
    }

    if (looksLikeJson(value)) this.addJsonText(source, path, value);
  }

  /** Adds every string leaf and every key of a parsed value (body, params, framework query). */
  addValue(source: InputSource, path: string, value: unknown, depth = 0): void {
    if (typeof value === "string") {
      this.addString(source, path, value);
      return;
    }
    if (value === null || typeof value !== "object") return;
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return;

    if (depth >= maxDepth || this.seen.has(value)) {
      this.skipped++;
      return;
    }
    this.seen.add(value);

    if (Array.isArray(value)) {
      value.forEach((item, index) => this.addValue(source, `${path}.${index}`, item, depth + 1));
      return;
    }

    for (const key of Object.keys(value)) {
      // Keys are user input too: apps build column lists and update sets from them.
      this.addString(source, `${path}.${key}`, key);
      this.addValue(source, `${path}.${key}`, (value as Record<string, unknown>)[key], depth + 1);
    }
  }

  private addJsonText(source: InputSource, path: string, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    this.addValue(source, path, parsed, 1);
  }

  private push(source: InputSource, path: string, value: string): boolean {
    if (this.inputs.length >= maxInputs) {
      this.skipped++;
      return false;
    }
    this.inputs.push({ source, path, value });
    return true;
  }
}

function looksLikeJson(value: string): boolean {
  const first = value.trimStart()[0];
  return (first === "{" || first === "[") && value.length >= 2;
}
