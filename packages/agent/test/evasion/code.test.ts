// Code injection tricks against a route that compiles `return '<value>'` with Function.
import { describe } from "node:test";

import { casesForValues, runCases, useEvasionApp } from "./evasion-app";

// prettier-ignore
const attacks = [
  "'+process.pid+'",
  "'+/**/process.pid+'",
  "'+process['p'+'id']+'",
  "'+\\u0070rocess.pid+'",
  "'+globalThis['proc'+'ess'].pid+'",
  "'\t+\tprocess.pid\t+\t'",
  "';return process.pid;//",
  "'+(()=>process.pid)()+'",
  "'+`${process.pid}`+'",
  "'//",
];

describe("code injection evasion", () => {
  const current = useEvasionApp();

  runCases(
    current,
    "string literal in Function",
    "code_injection",
    casesForValues("code", {
      attacks,
      benign: ["hello", "hello world", "a+b", "x /* y */ z", "1;2"],
    }),
  );
});
