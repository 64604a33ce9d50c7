import assert from "node:assert/strict";
import { describe, test } from "node:test";

import fc from "fast-check";

import { detectCodeInjection, tokenize } from "../../../src/detectors/code";
import { isLineTerminator, isWhitespace } from "../../../src/detectors/code/chars";
import type { UserInput } from "../../../src/detectors/types";

// Pieces that open, close or escape JavaScript tokens.
// prettier-ignore
const jsPieces = [
  "'", '"', "`", "\\", "${", "}", "{", "/", "//", "/*", "*/", "<!--", "-->", "\n", "\r", "\u2028", " ",
  "[", "]", "(", ")", "#", "#!", "0x", "1", "1.5e3", "n", "_", "e", ".", "?.", "=", "a", "return", "é", "😀",
  "\uD800", "\\u0061", "\\u{61}",
];

const anyCodeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 })
  .map((codes) => String.fromCharCode(...codes));

const arbitraryCode = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  anyCodeUnits,
  fc.string({ unit: fc.constantFrom(...jsPieces), maxLength: 60 }),
);

function userInputs(values: readonly string[]): UserInput[] {
  return values.map((value, index) => ({ source: "query", path: `query.v${index}`, value }));
}

function isSpace(code: number): boolean {
  return isWhitespace(code) || isLineTerminator(code);
}

describe("tokenizer properties", () => {
  test("tokens cover input in order", () => {
    fc.assert(
      fc.property(arbitraryCode, (code) => {
        const tokens = tokenize(code).toArray();
        let position = 0;
        for (const token of tokens) {
          assert.ok(token.start >= position, "tokens overlap or go backwards");
          assert.ok(token.end > token.start, "empty token");
          for (let gap = position; gap < token.start; gap++) {
            assert.ok(isSpace(code.charCodeAt(gap)), `uncovered character at ${gap}`);
          }
          position = token.end;
        }
        assert.ok(position <= code.length);
        for (let gap = position; gap < code.length; gap++) {
          assert.ok(isSpace(code.charCodeAt(gap)), `uncovered character at ${gap}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("detector never throws", () => {
    fc.assert(
      fc.property(arbitraryCode, fc.array(arbitraryCode, { maxLength: 3 }), (code, values) => {
        detectCodeInjection(code, userInputs(values));
        // Inputs cut from the code itself always occur in it, which reaches the judge.
        const middle = code.slice(code.length >> 2, code.length >> 1);
        detectCodeInjection(code, userInputs([middle]));
      }),
      { numRuns: 2000 },
    );
  });

  test("string literal content is safe", () => {
    const content = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(content, (value) => {
        const code = `return ${JSON.stringify(value)};`;
        assert.equal(detectCodeInjection(code, userInputs([value])), undefined);
      }),
      { numRuns: 2000 },
    );
  });

  test("added call is flagged", () => {
    const name = fc.constantFrom("process", "require", "fetch", "globalThis", "x");
    const prefix = fc.constantFrom("2 + ", "(", "return ", "x = ");
    fc.assert(
      fc.property(prefix, name, fc.integer(), (before, callee, number) => {
        const value = `${number}, ${callee}(1)`;
        const code = `${before}${value}`;
        assert.notEqual(detectCodeInjection(code, userInputs([value])), undefined);
      }),
      { numRuns: 500 },
    );
  });
});
