import type { IncomingMessage } from "node:http";

import type { UserInput } from "../detectors/types";
import { parseCookies } from "./cookies";
import { InputCollector } from "./input-collector";
import { decodeComponent, parseQueryString } from "./query-string";

/** The parsed parts of a request that a framework attaches after the context was created. */
export interface ParsedParts {
  readonly body: unknown;
  readonly params: unknown;
}

/** Collects the inputs that the raw request carries: query string, path segments, headers, cookies. */
export function collectRawInputs(req: IncomingMessage, collector: InputCollector): void {
  const url = req.url ?? "/";
  const questionMark = url.indexOf("?");
  const pathname = questionMark === -1 ? url : url.slice(0, questionMark);

  if (questionMark !== -1) {
    for (const pair of parseQueryString(url.slice(questionMark + 1))) {
      const path = `query.${pair.key.join(".")}`;
      collector.addString("query", path, pair.value);
      for (const key of pair.key) collector.addString("query", path, key);
    }
  }

  const segments = pathname.split("/");
  for (let index = 1; index < segments.length; index++) {
    const segment = segments[index] as string;
    if (segment !== "") collector.addString("path", `path.${index - 1}`, decodeComponent(segment));
  }

  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (name === "cookie" || value === undefined) continue;

    if (typeof value === "string") collector.addString("headers", `headers.${name}`, value);
    else for (const item of value) collector.addString("headers", `headers.${name}`, item);
  }

  const cookieHeader = req.headers.cookie;
  if (cookieHeader !== undefined) {
    for (const [name, value] of parseCookies(cookieHeader)) {
      collector.addString("cookies", `cookies.${name}`, value);
    }
  }
}

/**
 * Collects the inputs that a framework parsed: body and route params. The framework's query object
 * is not read because the raw query string, parsed above, contains the same values.
 */
export function collectParsedInputs(parts: ParsedParts, collector: InputCollector): void {
  collector.addValue("body", "body", parts.body);
  collector.addValue("params", "params", parts.params);
}

/** Concatenates input lists without copying when one side is empty. */
export function joinInputs(
  first: readonly UserInput[],
  second: readonly UserInput[],
): readonly UserInput[] {
  if (second.length === 0) return first;
  if (first.length === 0) return second;
  return [...first, ...second];
}
