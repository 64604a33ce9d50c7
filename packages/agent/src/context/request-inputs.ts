import type { InputSource, UserInput } from "../detectors/types";
import { parseCookies } from "./cookies";
import { InputCollector } from "./input-collector";
import { decodeComponent, parseQueryString } from "./query-string";
import type { RequestMessage } from "./request-context";

/** The parsed parts of a request that a framework attaches after the context was created. */
export interface ParsedParts {
  readonly body: unknown;
  readonly params: unknown;
}

/** A parsed request part (query, body or params) as the app receives it, with the path that names it in events. */
export interface StructuredInput {
  readonly source: Extract<InputSource, "query" | "body" | "params">;
  readonly path: string;
  readonly value: unknown;
}

/**
 * Builds the object that `qs` would build from a URL's query string (`user[$ne]=x` gives
 * `{ user: { $ne: "x" } }`, repeated keys give arrays), for apps on plain node:http that parse
 * the query themselves. Objects have a null prototype, so a `__proto__` key stays an own key.
 * Returns undefined when the URL has no query string.
 */
export function buildQueryObject(url: string): Record<string, unknown> | undefined {
  const questionMark = url.indexOf("?");
  if (questionMark === -1) return undefined;
  return buildFormObject(url.slice(questionMark + 1));
}

/** Builds the object that `qs` would build from a query string or urlencoded body (without `?`). */
export function buildFormObject(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null);
  for (const pair of parseQueryString(text)) setQueryValue(root, pair.key, pair.value);
  return root;
}

function setQueryValue(root: Record<string, unknown>, key: readonly string[], value: string): void {
  let target = root;
  for (let index = 0; index < key.length - 1; index++) {
    const segment = key[index] as string;
    const existing = target[segment];
    if (typeof existing === "object" && existing !== null && !Array.isArray(existing)) {
      target = existing as Record<string, unknown>;
      continue;
    }
    // A scalar already stored at this key (`a=1&a[b]=2`) is replaced by the nested form, as qs does.
    const child: Record<string, unknown> = Object.create(null);
    target[segment] = child;
    target = child;
  }

  const last = key[key.length - 1] as string;
  const existing = target[last];
  if (existing === undefined) target[last] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else if (typeof existing === "string") target[last] = [existing, value];
}

/**
 * Input paths of header, query and cookie names, built once per name: the same few names come
 * with every request, and a template string per name and request is garbage for the collector.
 */
const maxCachedPaths = 512;
const headerPaths = new Map<string, string>();
const queryPaths = new Map<string, string>();
const cookiePaths = new Map<string, string>();
const segmentPaths = Array.from({ length: 32 }, (_, index) => `path.${index}`);

function cachedPath(paths: Map<string, string>, prefix: string, name: string): string {
  let path = paths.get(name);
  if (path === undefined) {
    path = prefix + name;
    // Names are client-chosen, so a full table stops growing instead of keeping every name sent.
    if (paths.size < maxCachedPaths) paths.set(name, path);
  }
  return path;
}

function segmentPath(index: number): string {
  return segmentPaths[index] ?? `path.${index}`;
}

/** Collects the inputs that the raw request carries: query string, path segments, headers, cookies. */
export function collectRawInputs(req: RequestMessage, collector: InputCollector): void {
  const url = req.url ?? "/";
  const questionMark = url.indexOf("?");
  const pathname = questionMark === -1 ? url : url.slice(0, questionMark);

  if (questionMark !== -1) {
    for (const pair of parseQueryString(url.slice(questionMark + 1))) {
      const path =
        pair.key.length === 1
          ? cachedPath(queryPaths, "query.", pair.key[0] as string)
          : `query.${pair.key.join(".")}`;
      collector.addString("query", path, pair.value);
      for (const key of pair.key) collector.addString("query", path, key);
    }
  }

  const segments = pathname.split("/");
  for (let index = 1; index < segments.length; index++) {
    const segment = segments[index] as string;
    if (segment !== "")
      collector.addString("path", segmentPath(index - 1), decodeComponent(segment));
  }

  const headers = req.headers;
  for (const name in headers) {
    const value = headers[name];
    if (name === "cookie" || value === undefined) continue;

    if (typeof value === "string")
      collector.addString("headers", cachedPath(headerPaths, "headers.", name), value);
    else {
      const path = cachedPath(headerPaths, "headers.", name);
      for (const item of value) collector.addString("headers", path, item);
    }
  }

  const cookieHeader = req.headers.cookie;
  if (cookieHeader !== undefined) {
    for (const [name, value] of parseCookies(cookieHeader)) {
      collector.addString("cookies", cachedPath(cookiePaths, "cookies.", name), value);
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
