import { parseCookies } from "../context/cookies";
import {
  decodeComponent,
  parseQueryString,
  splitKey,
  type QueryPair,
} from "../context/query-string";

/** Payload formats of the AWS Lambda events that carry an HTTP request. */
export type HttpEventKind = "api-gateway-v1" | "api-gateway-v2" | "alb";

/**
 * An HTTP request taken from a Lambda event, in one shape for the three payload formats: API
 * Gateway REST APIs (payload 1.0, also used by HTTP APIs configured for 1.0), API Gateway HTTP
 * APIs and function URLs (payload 2.0), and Application Load Balancer targets.
 */
export interface HttpEvent {
  readonly kind: HttpEventKind;
  readonly method: string;
  /** URL path without the query string, as the client sent it. */
  readonly path: string;
  /** The query string without `?`, percent-encoded, for the request URL. */
  readonly rawQuery: string;
  /** Decoded query pairs; repeated keys stay separate pairs. */
  readonly query: readonly QueryPair[];
  /** Header values by lower-case name; a repeated header keeps one entry per value. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** Cookie name and raw value pairs, from the v2 `cookies` array or the Cookie header. */
  readonly cookies: ReadonlyArray<readonly [string, string]>;
  /** API Gateway path parameters (`{id}` of the resource `/items/{id}`). */
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The body as text, base64-decoded when the event marks it as encoded. */
  readonly body: string | undefined;
  readonly sourceIp: string | undefined;
  /** Resource or route template (`/items/{id}`), when API Gateway matched one. */
  readonly route: string | undefined;
  /** True when the event uses multi-value fields; an ALB target then responds with `multiValueHeaders`. */
  readonly multiValue: boolean;
}

type Fields = Record<string, unknown>;

function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === "object" && value !== null ? (value as Fields) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Returns the payload format of an HTTP event, or undefined for other events (SQS, S3, schedules). */
export function httpEventKind(event: unknown): HttpEventKind | undefined {
  const fields = fieldsOf(event);
  const requestContext = fieldsOf(fields?.requestContext);
  if (fields === undefined || requestContext === undefined) return undefined;

  if (fieldsOf(requestContext.elb) !== undefined) return "alb";
  if (fields.version === "2.0" && fieldsOf(requestContext.http) !== undefined)
    return "api-gateway-v2";
  if (typeof fields.httpMethod === "string") return "api-gateway-v1";
  return undefined;
}

/** Turns `{ a: "1" }` or `{ a: ["1", "2"] }` into name and value-list pairs, skipping other types. */
function valueLists(single: unknown, multi: unknown): Array<[string, string[]]> {
  const multiFields = fieldsOf(multi);
  if (multiFields !== undefined) {
    return Object.entries(multiFields).map(([name, values]) => [
      name,
      Array.isArray(values) ? values.filter((value) => typeof value === "string") : [],
    ]);
  }

  const singleFields = fieldsOf(single) ?? {};
  const lists: Array<[string, string[]]> = [];
  for (const [name, value] of Object.entries(singleFields)) {
    if (typeof value === "string") lists.push([name, [value]]);
  }
  return lists;
}

function headerMap(lists: Array<[string, string[]]>): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const [name, values] of lists) {
    const key = name.toLowerCase();
    const existing = headers.get(key);
    if (existing === undefined) headers.set(key, [...values]);
    else existing.push(...values);
  }
  return headers;
}

function stringRecord(value: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, item] of Object.entries(fieldsOf(value) ?? {})) {
    if (typeof item === "string") record[name] = item;
  }
  return record;
}

function decodeBody(fields: Fields): string | undefined {
  const body = stringOf(fields.body);
  if (body === undefined) return undefined;
  return fields.isBase64Encoded === true ? Buffer.from(body, "base64").toString("utf8") : body;
}

/** Query of payload 1.0: API Gateway passes decoded values, ALB passes them as the client sent them. */
function queryOfV1(fields: Fields, encoded: boolean): { query: QueryPair[]; rawQuery: string } {
  const lists = valueLists(fields.queryStringParameters, fields.multiValueQueryStringParameters);
  const query: QueryPair[] = [];
  const parts: string[] = [];
  for (const [name, values] of lists) {
    for (const value of values) {
      if (encoded) {
        query.push({ key: splitKey(decodeComponent(name)), value: decodeComponent(value) });
        parts.push(`${name}=${value}`);
      } else {
        query.push({ key: splitKey(name), value });
        parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
      }
    }
  }
  return { query, rawQuery: parts.join("&") };
}

function cookiesOf(headerValues: readonly string[] | undefined): Array<[string, string]> {
  return (headerValues ?? []).flatMap((header) => parseCookies(header));
}

function fromV2(fields: Fields, requestContext: Fields): HttpEvent {
  const http = fieldsOf(requestContext.http) ?? {};
  const rawQuery = stringOf(fields.rawQueryString) ?? "";
  const headers = headerMap(valueLists(fields.headers, undefined));
  const cookieList = Array.isArray(fields.cookies)
    ? fields.cookies.filter((cookie) => typeof cookie === "string")
    : [];
  const routeKey = stringOf(fields.routeKey);
  const space = routeKey?.indexOf(" ") ?? -1;

  return {
    kind: "api-gateway-v2",
    method: stringOf(http.method) ?? "GET",
    path: stringOf(fields.rawPath) ?? stringOf(http.path) ?? "/",
    rawQuery,
    query: parseQueryString(rawQuery),
    headers,
    // API Gateway moves the Cookie header of payload 2.0 into the `cookies` array.
    cookies: cookiesOf([...cookieList, ...(headers.get("cookie") ?? [])]),
    pathParameters: stringRecord(fields.pathParameters),
    body: decodeBody(fields),
    sourceIp: stringOf(http.sourceIp),
    route: routeKey === undefined || space === -1 ? undefined : routeKey.slice(space + 1),
    multiValue: false,
  };
}

function fromV1(fields: Fields, requestContext: Fields, kind: HttpEventKind): HttpEvent {
  const isAlb = kind === "alb";
  const { query, rawQuery } = queryOfV1(fields, isAlb);
  const headers = headerMap(valueLists(fields.headers, fields.multiValueHeaders));
  const identity = fieldsOf(requestContext.identity);
  // An ALB appends the address it received the connection from to X-Forwarded-For.
  const forwarded = headers.get("x-forwarded-for")?.join(",").split(",").pop()?.trim();

  return {
    kind,
    method: stringOf(fields.httpMethod) ?? "GET",
    path: stringOf(fields.path) ?? "/",
    rawQuery,
    query,
    headers,
    cookies: cookiesOf(headers.get("cookie")),
    pathParameters: stringRecord(fields.pathParameters),
    body: decodeBody(fields),
    sourceIp: isAlb ? forwarded || undefined : stringOf(identity?.sourceIp),
    route: isAlb ? undefined : stringOf(fields.resource),
    multiValue: fieldsOf(fields.multiValueHeaders) !== undefined,
  };
}

/** Reads the HTTP request of a Lambda event; returns undefined for events that carry none. */
export function readHttpEvent(event: unknown): HttpEvent | undefined {
  const kind = httpEventKind(event);
  if (kind === undefined) return undefined;

  const fields = event as Fields;
  const requestContext = fieldsOf(fields.requestContext) ?? {};
  return kind === "api-gateway-v2"
    ? fromV2(fields, requestContext)
    : fromV1(fields, requestContext, kind);
}
