import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectCodeInjection } from "../../../src/detectors/code";
import type { UserInput } from "../../../src/detectors/types";

function input(value: string): UserInput {
  return { source: "query", path: "query.q", value };
}

/** Builds the code as an application would, by concatenation, and judges it. */
function judge(before: string, value: string, after = ""): string | undefined {
  return detectCodeInjection(before + value + after, [input(value)])?.reason;
}

describe("code injection attacks", () => {
  const attacks: [string, string, string, string][] = [
    ["arithmetic with call", "2 + ", "process.exit()", ""],
    ["require in parentheses", "(", "require('child_process')", ")"],
    ["string breakout", '("', '"); foo(); ("', '")'],
    ["single-quote breakout", "x = '", "a'; fetch('http://127.0.0.1/'); '", "'"],
    ["statement after number", "2 + ", "1; fetch('http://127.0.0.1/')", ""],
    ["template substitution", "`Hello ", "${process.env.HOME}", "`"],
    ["comment hides code", "check(", "1) //", ") && deny()"],
    ["block comment breakout", "/* note: ", "*/ evil() /*", " */"],
    ["call on app value", "calc", "(1)", ""],
    ["strings reach Function", "", '""["constructor"]["constructor"]("return 1")()', ""],
    ["tagged template", "fn", "`x`", ""],
    ["dos loop", "", "while(true);", ""],
    ["unbalanced bracket", "f(", "1))(g(", ")"],
    ["assignment", "x = ", "y = 2", ""],
    ["html comment", "a = 1 ", "<!-- ", "\nb()"],
    ["unicode escaped name", "", "\\u0072equire('fs')", ""],
    ["constructor chain", "", "this.constructor.constructor('return process')()", ""],
    ["unterminated string", "x = ", "'abc", ""],
  ];
  for (const [name, before, value, after] of attacks) {
    test(name, () => {
      assert.notEqual(judge(before, value, after), undefined);
    });
  }
});

describe("code injection safe inputs", () => {
  const safe: [string, string, string, string][] = [
    ["calculator arithmetic", "2 + ", "3 * 4", ""],
    ["parenthesized arithmetic", "2 + ", "(1+2)*3", ""],
    ["negative decimal", "return ", "-0.5", ""],
    ["exponent", "return ", "1e-5", ""],
    ["bigint", "return ", "12n ** 2n", ""],
    ["inside single quotes", "x = '", "it is fine, really", "'"],
    ["quote inside double quotes", 'x = "', "O'Brien", '"'],
    ["inside template text", "`Hello ", "dear reader", "`"],
    ["inside comment", "/* ", "process.exit()", " */ 1"],
    ["inside regex", "x = /", "ab+c", "/g"],
    ["JSON object", "(", '{"a": [1, 2, {"b": null}], "c": true}', ")"],
    ["one string literal", "return ", "'hello'", ""],
    ["one name", "config.", "theme", ""],
    ["name suffix", "get_", "user", "()"],
    ["whitespace only", "1 +", "   ", " 2"],
  ];
  for (const [name, before, value, after] of safe) {
    test(name, () => {
      assert.equal(judge(before, value, after), undefined);
    });
  }

  test("absent input", () => {
    assert.equal(detectCodeInjection("return 1 + 2", [input("process.exit()")]), undefined);
  });

  test("single character skipped", () => {
    assert.equal(detectCodeInjection("a; b", [input(";")]), undefined);
  });

  test("finding carries input and offset", () => {
    const value = "1; evil()";
    const finding = detectCodeInjection(`x = 2 + ${value}`, [input("alice"), input(value)]);
    assert.equal(finding?.input?.value, value);
    assert.equal(finding?.offset, 8);
  });

  test("every occurrence judged", () => {
    const value = "a, b()";
    const code = `x = '${value}'; y = [${value}]`;
    assert.equal(detectCodeInjection(code, [input(value)])?.offset, code.lastIndexOf(value));
  });
});
