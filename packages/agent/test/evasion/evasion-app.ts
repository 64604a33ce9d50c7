import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { HttpClient, type HttpRequest } from "../helpers/http-client";

/** How the fixture route receives the value (see test/fixtures/evasion-app.cjs). */
export type Carrier =
  "query" | "body" | "nested" | "decode" | "base64" | "jwt" | "cookie" | "header";

/** A value sent to a route, or a function of the app's port for values that name the app itself. */
export type EvasionValue = string | ((port: string) => string);

/** One request to a vulnerable route and the status that it must get. */
export interface EvasionCase {
  readonly name: string;
  /** The request, or a function of the app's port. */
  readonly request: HttpRequest | ((port: string) => HttpRequest);
  /** 403 for an attack that the agent must block; 200 (302 for redirects) for a benign value. */
  readonly status: number;
}

export interface EvasionApp {
  app: RunningApp;
  client: HttpClient;
  /** Port that port-dependent values name; the app's own port when unset. */
  targetPort?: string;
}

/**
 * Starts the evasion fixture app in block mode for the tests of one describe block. `env` may be a
 * function, called in the `before` hook, for settings known only once a server started.
 */
export function useEvasionApp(
  env: Record<string, string> | (() => Record<string, string>) = {},
): EvasionApp {
  const current = {} as EvasionApp;
  before(async () => {
    current.app = await startApp({
      script: "evasion-app.cjs",
      loader: "none",
      mode: "block",
      env: typeof env === "function" ? env() : env,
    });
    current.client = new HttpClient(current.app.url, 2);
  });
  after(async () => {
    current.client.close();
    await current.app.stop();
  });
  return current;
}

function withVia(route: string, via: Carrier): string {
  return `/${route}?via=${via}`;
}

/** Percent-encodes every character, even unreserved ones, as a client that encodes all bytes. */
export function encodeAll(value: string): string {
  return [...Buffer.from(value, "utf8")]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)
    .join("");
}

/** Builds an unsigned JWT (`alg: none`) whose payload carries `claims`. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${header}.${payload}.`;
}

/** Builds a multipart/form-data body with one text field per entry. */
export function multipart(fields: Record<string, string>): string {
  const boundary = "rampart-evasion-boundary";
  const parts = Object.entries(fields).map(
    ([name, value]) =>
      `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return `${parts.join("")}--${boundary}--\r\n`;
}

/**
 * Requests that deliver `value` to `route` through each carrier, named after the trick. The value
 * is the one that the app's sink finally receives.
 */
export function carriedRequests(
  route: string,
  value: string,
): Array<{ readonly trick: string; readonly request: HttpRequest }> {
  const json = (body: unknown): HttpRequest => ({
    path: withVia(route, "body"),
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  // Every character of the value written as a \uXXXX escape, which JSON.parse turns back.
  const escapedValue = value.replace(
    /[\s\S]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

  return [
    {
      trick: "query string",
      request: { path: `${withVia(route, "query")}&q=${encodeURIComponent(value)}` },
    },
    {
      trick: "every byte percent-encoded",
      request: { path: `${withVia(route, "query")}&q=${encodeAll(value)}` },
    },
    {
      trick: "array key q[]",
      request: { path: `${withVia(route, "query")}&q[]=${encodeURIComponent(value)}` },
    },
    {
      trick: "indexed key q[0]",
      request: { path: `${withVia(route, "query")}&q%5B0%5D=${encodeURIComponent(value)}` },
    },
    {
      trick: "double URL encoding",
      request: {
        path: `${withVia(route, "decode")}&q=${encodeURIComponent(encodeURIComponent(value))}`,
      },
    },
    { trick: "JSON body", request: json({ q: value }) },
    {
      trick: "JSON unicode escapes",
      request: {
        path: withVia(route, "body"),
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"q":"${escapedValue}"}`,
      },
    },
    {
      trick: "urlencoded body",
      request: {
        path: withVia(route, "body"),
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `q=${encodeURIComponent(value)}`,
      },
    },
    {
      trick: "multipart field",
      request: {
        path: withVia(route, "body"),
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=rampart-evasion-boundary" },
        body: multipart({ q: value }),
      },
    },
    {
      trick: "JSON text in a query field",
      request: {
        path: `${withVia(route, "nested")}&data=${encodeURIComponent(JSON.stringify({ q: value }))}`,
      },
    },
    {
      trick: "JSON text in a body field",
      request: {
        path: withVia(route, "nested"),
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: JSON.stringify({ q: value }) }),
      },
    },
    {
      trick: "base64 query value",
      request: {
        path: `${withVia(route, "base64")}&q=${encodeURIComponent(Buffer.from(value).toString("base64"))}`,
      },
    },
    {
      trick: "base64url body value",
      request: {
        path: withVia(route, "base64"),
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ q: Buffer.from(value).toString("base64url") }),
      },
    },
    {
      trick: "JWT claim",
      request: {
        path: withVia(route, "jwt"),
        headers: { authorization: `Bearer ${unsignedJwt({ sub: "42", q: value })}` },
      },
    },
    {
      trick: "cookie",
      request: {
        path: withVia(route, "cookie"),
        headers: { cookie: `q=${encodeURIComponent(value)}` },
      },
    },
    {
      trick: "header",
      request: { path: withVia(route, "header"), headers: { "x-q": value } },
    },
  ];
}

/** True when `value` can be sent as a header value as is: Latin-1 without line breaks or edge spaces. */
export function fitsHeader(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value) && value.trim() === value;
}

/** Expands attack and benign values into cases for every carrier that can deliver them. */
export function casesForValues(
  route: string,
  values: { readonly attacks: readonly EvasionValue[]; readonly benign: readonly EvasionValue[] },
  benignStatus = 200,
): EvasionCase[] {
  const cases: EvasionCase[] = [];
  const add = (value: EvasionValue, status: number) => {
    const valueAt = (port: string) => (typeof value === "string" ? value : value(port));
    const sample = valueAt("PORT");

    carriedRequests(route, sample).forEach(({ trick }, index) => {
      if (trick === "header" && !fitsHeader(sample)) return;
      const request = (port: string) =>
        (carriedRequests(route, valueAt(port))[index] as { request: HttpRequest }).request;
      cases.push({ name: `${trick}: ${JSON.stringify(sample).slice(0, 60)}`, request, status });
    });
  };
  for (const value of values.attacks) add(value, 403);
  for (const value of values.benign) add(value, benignStatus);
  return cases;
}

/** Registers one test per case, each sending its request and checking the status and event. */
export function runCases(
  current: EvasionApp,
  title: string,
  attackType: string,
  cases: readonly EvasionCase[],
): void {
  describe(title, () => {
    for (const evasion of cases) {
      test(evasion.name, async () => {
        const port = current.targetPort ?? new URL(current.app.url).port;
        const request =
          typeof evasion.request === "function" ? evasion.request(port) : evasion.request;
        const response = await current.client.send(request);
        assert.equal(response.status, evasion.status, response.body.slice(0, 300));
        if (evasion.status !== 403) return;

        const eventId = (JSON.parse(response.body) as { event_id: string }).event_id;
        const event = await current.app.waitForEvent(eventId);
        assert.ok(event !== undefined, `no event ${eventId}`);
        assert.equal(event.attack_type, attackType);
        assert.equal(event.action, "blocked");
      });
    }
  });
}
