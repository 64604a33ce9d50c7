// Unsafe deserialization tricks against a route that passes the value to node-serialize.
import { describe } from "node:test";

import { casesForValues, runCases, useEvasionApp, type EvasionCase } from "./evasion-app";

function jsonBody(body: unknown): EvasionCase["request"] {
  return {
    path: "/deserialize?via=body",
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

const marker = "_$$ND_FUNC$$_";

// Each payload's function only returns a number, so a missed block runs nothing harmful.
// prettier-ignore
const attacks = [
  `{"x":"${marker}function(){return 1}()"}`,
  `{"x":"\\u005f$$ND_FUNC$$_function(){return 1}()"}`,
  `{"x":"_$$\\u004e\\u0044_FUNC$$_function(){return 1}()"}`,
  `{"a":{"b":{"c":"${marker}function(){return 1}()"}}}`,
  `{"x":["ok","${marker}function(){return 1}()"]}`,
  `{"x":"${marker}(()=>1)()"}`,
  `{ "x" : "${marker}function ( ) { return 1 } ( )" }`,
];

const benign = [
  '{"name":"lamp"}',
  '{"a":{"b":"c"}}',
  '{"note":"mentions ND_FUNC without the marker"}',
  '["a","b"]',
];

const padding = `[${"0,".repeat(150_000)}0]`;

describe("deserialization evasion", () => {
  const current = useEvasionApp();

  // The marked value comes first and the padding after it, so a walk that pops the last key first
  // meets 150,000 values before the marker.
  const paddedCases: EvasionCase[] = [
    {
      name: "marker before 150,000 padding values",
      request: jsonBody({ q: `{"x":"${marker}function(){return 1}()","pad":${padding}}` }),
      status: 403,
    },
    {
      name: "150,000 padding values without marker",
      request: jsonBody({ q: `{"x":"lamp","pad":${padding}}` }),
      status: 200,
    },
  ];
  runCases(current, "padding", "unsafe_deserialization", paddedCases);

  runCases(
    current,
    "node-serialize unserialize",
    "unsafe_deserialization",
    casesForValues("deserialize", { attacks, benign }),
  );
});
