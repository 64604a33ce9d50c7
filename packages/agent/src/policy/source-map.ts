import type { Node } from "yaml";

import type { PathSegment } from "./validate";

/** A parsed policy text and a way back from a value's path to its line. */
export interface ParsedText {
  /** Undefined when the text is not valid YAML or JSON. */
  readonly value: unknown;
  /** Syntax errors, with their 1-based line. */
  readonly syntaxErrors: readonly { line: number; message: string }[];
  /** The 1-based line of the value at `path`, or of its nearest ancestor present in the text. */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

/**
 * Parses YAML (1.2) or JSON, which is a subset of YAML 1.2, keeping source positions. Duplicate
 * keys are syntax errors.
 */
export function parseWithPositions(text: string): ParsedText {
  const { LineCounter, parseDocument } = yamlModule();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  const syntaxErrors = document.errors.map((error) => ({
    line: lineAt(error.pos[0]),
    message: error.message.split("\n", 1)[0] ?? error.message,
  }));
  const value = syntaxErrors.length === 0 ? document.toJS({ maxAliasCount: 100 }) : undefined;

  return {
    value,
    syntaxErrors,
    lineOf(path) {
      const offset = offsetOf(document.contents as Node | null, path);
      return offset === undefined ? undefined : lineAt(offset);
    },
  };
}

/**
 * Loads the YAML parser on first use. Most processes run without a policy file, and loading the
 * package made up about 30 % of the agent's load time (measured with bench/cold-start), which a
 * serverless cold start pays in full.
 */
function yamlModule(): typeof import("yaml") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("yaml") as typeof import("yaml");
}

/** Walks the node tree along the path; an unknown key points at the key itself. */
function offsetOf(root: Node | null, path: readonly PathSegment[]): number | undefined {
  const { isMap, isScalar, isSeq } = yamlModule();
  let node: Node | null = root;
  let offset = root?.range?.[0];

  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (pair === undefined) break;

      const key = pair.key as Node;
      const value = pair.value as Node | null;
      offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
      // A key whose value is a nested block points at the key's line, where the reader looks.
      if (isMap(value) || isSeq(value)) offset = key.range?.[0] ?? offset;
      node = value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
