import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { tokenize, TokenKind } from "../../../src/detectors/code";

/** Returns `[kind name, text]` pairs, which read better in failures than offsets. */
function lex(code: string): [string, string][] {
  const names = Object.fromEntries(Object.entries(TokenKind).map(([name, kind]) => [kind, name]));
  return tokenize(code)
    .toArray()
    .map((token) => [names[token.kind] ?? "?", code.slice(token.start, token.end)]);
}

function texts(code: string, kind: keyof typeof TokenKind): string[] {
  return lex(code)
    .filter(([name]) => name === kind)
    .map(([, text]) => text);
}

describe("tokenizer numbers", () => {
  const numbers = [
    "0",
    "42",
    "1_000_000",
    "3.14",
    ".5",
    "5.",
    "1e10",
    "1E-5",
    "2.5e+3",
    "0x1F",
    "0XFF_FF",
    "0o17",
    "0b1010",
    "017",
    "123n",
    "0x1Fn",
  ];
  for (const number of numbers) {
    test(`number ${number}`, () => {
      assert.deepEqual(lex(number), [["number", number]]);
    });
  }

  test("member access after number", () => {
    assert.deepEqual(lex("1..toString"), [
      ["number", "1."],
      ["punctuator", "."],
      ["identifier", "toString"],
    ]);
  });

  test("exponent without digits", () => {
    assert.deepEqual(lex("1e"), [
      ["number", "1"],
      ["identifier", "e"],
    ]);
  });
});

describe("tokenizer strings", () => {
  test("escaped quotes stay inside", () => {
    assert.deepEqual(lex(String.raw`'it\'s' "say \"hi\""`), [
      ["string", String.raw`'it\'s'`],
      ["string", String.raw`"say \"hi\""`],
    ]);
  });

  test("line continuation stays inside", () => {
    assert.deepEqual(texts("'a\\\nb' x", "string"), ["'a\\\nb'"]);
  });

  test("newline ends an unterminated string", () => {
    const tokens = tokenize("'abc\nfoo()").toArray();
    assert.equal(tokens[0]?.kind, TokenKind.string);
    assert.equal(tokens[0]?.unterminated, true);
    assert.equal(tokens[0]?.end, 4);
    assert.deepEqual(texts("'abc\nfoo()", "identifier"), ["foo"]);
  });

  test("line separator inside a string", () => {
    assert.deepEqual(lex("'a\u2028b'"), [["string", "'a\u2028b'"]]);
  });
});

describe("tokenizer templates", () => {
  test("template without substitution", () => {
    assert.deepEqual(lex("`a b`"), [["template", "`a b`"]]);
  });

  test("substitution code is tokenized", () => {
    assert.deepEqual(lex("`a${b}c`"), [
      ["templateHead", "`a${"],
      ["identifier", "b"],
      ["templateTail", "}c`"],
    ]);
  });

  test("object literal inside substitution", () => {
    assert.deepEqual(lex("`${ {x:1}.x }${y}z`"), [
      ["templateHead", "`${"],
      ["punctuator", "{"],
      ["identifier", "x"],
      ["punctuator", ":"],
      ["number", "1"],
      ["punctuator", "}"],
      ["punctuator", "."],
      ["identifier", "x"],
      ["templateMiddle", "}${"],
      ["identifier", "y"],
      ["templateTail", "}z`"],
    ]);
  });

  test("nested template inside substitution", () => {
    assert.deepEqual(lex("`a${`b${c}`}d`"), [
      ["templateHead", "`a${"],
      ["templateHead", "`b${"],
      ["identifier", "c"],
      ["templateTail", "}`"],
      ["templateTail", "}d`"],
    ]);
  });

  test("escaped dollar stays text", () => {
    assert.deepEqual(lex("`\\${x}`"), [["template", "`\\${x}`"]]);
  });

  test("unterminated template", () => {
    const tokens = tokenize("`abc").toArray();
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]?.unterminated, true);
  });
});

describe("tokenizer regex and division", () => {
  test("regex after assignment", () => {
    assert.deepEqual(texts("x = /a[/]b\\//gi.test(s)", "regex"), ["/a[/]b\\//gi"]);
  });

  test("division after number and name", () => {
    assert.deepEqual(texts("a / b / 2", "regex"), []);
    assert.deepEqual(texts("(a) / 2", "regex"), []);
  });

  test("regex after return keyword", () => {
    assert.deepEqual(texts("return /x/", "regex"), ["/x/"]);
  });

  test("regex at start and after operator", () => {
    assert.deepEqual(texts("/x/.test(a) && /y/", "regex"), ["/x/", "/y/"]);
  });

  test("compound division", () => {
    assert.deepEqual(lex("a /= 2"), [
      ["identifier", "a"],
      ["punctuator", "/="],
      ["number", "2"],
    ]);
  });
});

describe("tokenizer comments and names", () => {
  test("line and block comments", () => {
    assert.deepEqual(lex("a // x\n/* y */ b"), [
      ["identifier", "a"],
      ["lineComment", "// x"],
      ["blockComment", "/* y */"],
      ["identifier", "b"],
    ]);
  });

  test("unterminated block comment", () => {
    const tokens = tokenize("a /* open").toArray();
    assert.equal(tokens[1]?.kind, TokenKind.blockComment);
    assert.equal(tokens[1]?.unterminated, true);
  });

  test("Annex B HTML comments", () => {
    assert.deepEqual(lex("a <!-- b\n--> c\nd"), [
      ["identifier", "a"],
      ["lineComment", "<!-- b"],
      ["lineComment", "--> c"],
      ["identifier", "d"],
    ]);
  });

  test("decrement mid-line is not a comment", () => {
    assert.deepEqual(texts("a --> b", "lineComment"), []);
  });

  test("hashbang and private name", () => {
    assert.deepEqual(lex("#!/usr/bin/env node\nthis.#secret"), [
      ["lineComment", "#!/usr/bin/env node"],
      ["identifier", "this"],
      ["punctuator", "."],
      ["privateName", "#secret"],
    ]);
  });

  test("unicode and escaped identifiers", () => {
    assert.deepEqual(texts("π + \\u0072equire + café + 𝑥", "identifier"), [
      "π",
      "\\u0072equire",
      "café",
      "𝑥",
    ]);
  });

  test("longest punctuator wins", () => {
    assert.deepEqual(texts("a >>>= b ?. c ?? d ... e", "punctuator"), [">>>=", "?.", "??", "..."]);
  });

  test("optional chaining before digit", () => {
    assert.deepEqual(texts("a?.5:1", "punctuator"), ["?", ":"]);
  });

  test("stray characters are invalid", () => {
    assert.deepEqual(texts("12 × 12 \\", "invalid"), ["×", "\\"]);
  });
});
