// SQL injection tricks against a route that concatenates a value into a better-sqlite3 query.
import { describe } from "node:test";

import { casesForValues, runCases, useEvasionApp, type EvasionCase } from "./evasion-app";

// prettier-ignore
const stringAttacks = [
  "' OR 1=1--",
  "' oR 1=1--",
  "'/**/OR/**/1=1--",
  "'\tOR\n1=1--",
  "'\fOR\r1=1--",
  "' OR 'é'='é",
  "' UNION SELECT 1, sqlite_version()--",
  "' uNiOn/**/sElEcT 1,2--",
  "'||(SELECT 1)||'",
  "';DELETE FROM items;--",
];

const numberAttacks = [
  "1 OR 1=1",
  "1/**/oR/**/1=1",
  "0x1 OR 1",
  "1\tUNION\tSELECT 1,2",
  "-1 OR 2>1",
];

describe("SQL injection evasion", () => {
  const current = useEvasionApp();

  runCases(
    current,
    "string literal",
    "sql_injection",
    casesForValues("sql", {
      attacks: stringAttacks,
      benign: ["lamp", "desk lamp", "a -- b", "x /**/ y", "OR 1=1", "é"],
    }),
  );

  runCases(
    current,
    "number",
    "sql_injection",
    casesForValues("sql-number", { attacks: numberAttacks, benign: ["1", "2"] }),
  );

  const padding = "a".repeat(1_000_000);
  const longCases: EvasionCase[] = [
    {
      name: "1 MB of padding before the quote",
      request: jsonBody({ q: `${padding}' OR 1=1--` }),
      status: 403,
    },
    {
      name: "1 MB of padding after the attack",
      request: jsonBody({ q: `' OR 1=1--${padding}` }),
      status: 403,
    },
    { name: "1 MB benign value", request: jsonBody({ q: padding }), status: 200 },
    {
      name: "attack after 100,000 padding keys",
      request: jsonBody({ ...manyKeys(100_000), q: "' OR 1=1--" }),
      status: 403,
    },
    {
      name: "attack after 5,000 levels of nesting",
      request: jsonText(`{"pad":${deepJson(5_000)},"q":"' OR 1=1--"}`),
      status: 403,
    },
    {
      name: "attack after an array of 200,000 items",
      request: jsonBody({
        pad: Array.from({ length: 200_000 }, (_, index) => `v${index}`),
        q: "' OR 1=1--",
      }),
      status: 403,
    },
    {
      name: "parameter pollution joined by the app",
      request: { path: `/sql?via=query&q=lamp&q=${encodeURIComponent("' OR 1=1--")}` },
      status: 403,
    },
    {
      name: "parameter pollution benign",
      request: { path: "/sql?via=query&q=lamp&q=desk" },
      status: 200,
    },
    {
      name: "repeated attack still blocked",
      request: { path: `/sql?via=query&q=${encodeURIComponent("' OR 1=1--")}` },
      status: 403,
    },
    {
      name: "attack in a query string of 900 pairs",
      request: {
        path: `/sql?via=query&${Array.from({ length: 900 }, (_, index) => `k${index}=v`).join("&")}&q=${encodeURIComponent("' OR 1=1--")}`,
      },
      status: 403,
    },
  ];
  runCases(current, "size and repetition", "sql_injection", longCases);
});

function jsonBody(body: unknown): EvasionCase["request"] {
  return jsonText(JSON.stringify(body));
}

function jsonText(body: string): EvasionCase["request"] {
  return {
    path: "/sql?via=body",
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  };
}

function manyKeys(count: number): Record<string, string> {
  const keys: Record<string, string> = {};
  for (let index = 0; index < count; index++) keys[`k${index}`] = `value ${index}`;
  return keys;
}

/** JSON text of objects nested `depth` levels deep, built as text because JSON.stringify recurses. */
function deepJson(depth: number): string {
  return `${'{"child":'.repeat(depth)}"leaf"${"}".repeat(depth)}`;
}
