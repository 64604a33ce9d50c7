import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { tokenizeSql } from "../../../src/detectors/sql";
import { contentOf, lex } from "./lex";

const pg = (query: string) => lex(query, "postgresql");

describe("postgresql lexer: strings", () => {
  test("standard string doubles quotes", () => {
    assert.deepEqual(pg("'it''s'"), [["string", "'it''s'"]]);
    assert.equal(contentOf("'it''s'", "postgresql"), "it''s");
  });

  test("standard string takes no backslash escape", () => {
    assert.deepEqual(pg("'a\\' OR 1"), [
      ["string", "'a\\'"],
      ["word", "OR"],
      ["number", "1"],
    ]);
  });

  test("escape string takes backslash escapes", () => {
    assert.deepEqual(pg("E'a\\'b' e'\\\\' E'x''y'"), [
      ["string", "E'a\\'b'"],
      ["string", "e'\\\\'"],
      ["string", "E'x''y'"],
    ]);
    assert.equal(contentOf("E'a\\'b'", "postgresql"), "a\\'b");
  });

  test("unicode string and identifier", () => {
    assert.deepEqual(pg("U&'d\\0061t''a' u&\"col\"\"x\""), [
      ["string", "U&'d\\0061t''a'"],
      ["quoted-identifier", 'u&"col""x"'],
    ]);
    assert.equal(contentOf("U&'x'", "postgresql"), "x");
  });

  test("bit, hex and national strings", () => {
    assert.deepEqual(pg("B'1010' x'1F' N'abc'"), [
      ["string", "B'1010'"],
      ["string", "x'1F'"],
      ["string", "N'abc'"],
    ]);
  });

  test("prefix letter inside a word is no prefix", () => {
    assert.deepEqual(pg("xE'a'"), [
      ["word", "xE"],
      ["string", "'a'"],
    ]);
  });

  test("unterminated strings reach the end", () => {
    assert.deepEqual(pg("x = 'abc"), [
      ["word", "x"],
      ["operator", "="],
      ["string", "'abc", "unterminated"],
    ]);
    assert.deepEqual(pg("E'abc\\'"), [["string", "E'abc\\'", "unterminated"]]);
    assert.deepEqual(pg("'''"), [["string", "'''", "unterminated"]]);
  });
});

describe("postgresql lexer: dollar quoting", () => {
  test("empty tag", () => {
    assert.deepEqual(pg("$$it's -- not a comment$$"), [["string", "$$it's -- not a comment$$"]]);
    assert.equal(contentOf("$$a'b$$", "postgresql"), "a'b");
  });

  test("named tag ignores other tags", () => {
    assert.deepEqual(pg("$fn$ $$ $x$ $fn$ 1"), [
      ["string", "$fn$ $$ $x$ $fn$"],
      ["number", "1"],
    ]);
    assert.equal(contentOf("$fn$body$fn$", "postgresql"), "body");
  });

  test("unterminated dollar quotes", () => {
    assert.deepEqual(pg("SELECT $$abc"), [
      ["word", "SELECT"],
      ["string", "$$abc", "unterminated"],
    ]);
    assert.deepEqual(pg("$tag$abc$ta"), [["string", "$tag$abc$ta", "unterminated"]]);
  });

  test("dollar inside a word is part of it", () => {
    assert.deepEqual(pg("a$b$c"), [["word", "a$b$c"]]);
  });

  test("positional parameters and lone dollar", () => {
    assert.deepEqual(pg("$1 $12a $"), [
      ["parameter", "$1"],
      ["parameter", "$12"],
      ["word", "a"],
      ["unknown", "$"],
    ]);
  });
});

describe("postgresql lexer: identifiers and words", () => {
  test("quoted identifier doubles quotes", () => {
    assert.deepEqual(pg('"a""b" "c d"'), [
      ["quoted-identifier", '"a""b"'],
      ["quoted-identifier", '"c d"'],
    ]);
  });

  test("unterminated quoted identifier", () => {
    assert.deepEqual(pg('SELECT "abc'), [
      ["word", "SELECT"],
      ["quoted-identifier", '"abc', "unterminated"],
    ]);
  });

  test("words include non-ASCII and underscores", () => {
    assert.deepEqual(pg("_Ünïcode😀 tbl_1"), [
      ["word", "_Ünïcode😀"],
      ["word", "tbl_1"],
    ]);
  });
});

describe("postgresql lexer: comments", () => {
  test("block comments nest", () => {
    assert.deepEqual(pg("/* a /* b */ c */ x"), [
      ["comment", "/* a /* b */ c */"],
      ["word", "x"],
    ]);
    assert.equal(contentOf("/* a /* b */ c */", "postgresql"), " a /* b */ c ");
  });

  test("unterminated nested comment", () => {
    assert.deepEqual(pg("1 /* /* */ 2"), [
      ["number", "1"],
      ["comment", "/* /* */ 2", "unterminated"],
    ]);
  });

  test("line comment ends at newline or carriage return", () => {
    assert.deepEqual(pg("-- a\nb -- c\rd --"), [
      ["comment", "-- a"],
      ["word", "b"],
      ["comment", "-- c"],
      ["word", "d"],
      ["comment", "--"],
    ]);
  });

  test("operators stop before comments", () => {
    assert.deepEqual(pg("*--c\n+/*d*/"), [
      ["operator", "*"],
      ["comment", "--c"],
      ["operator", "+"],
      ["comment", "/*d*/"],
    ]);
  });
});

describe("postgresql lexer: numbers", () => {
  test("decimal forms", () => {
    assert.deepEqual(pg("1 1.5 .5 3. 1e10 1.5E-3 1_000"), [
      ["number", "1"],
      ["number", "1.5"],
      ["number", ".5"],
      ["number", "3."],
      ["number", "1e10"],
      ["number", "1.5E-3"],
      ["number", "1_000"],
    ]);
  });

  test("radix integers", () => {
    assert.deepEqual(pg("0x1F 0o17 0b101"), [
      ["number", "0x1F"],
      ["number", "0o17"],
      ["number", "0b101"],
    ]);
  });

  test("letters after a number start a word", () => {
    assert.deepEqual(pg("1abc 1e"), [
      ["number", "1"],
      ["word", "abc"],
      ["number", "1"],
      ["word", "e"],
    ]);
  });

  test("range dots end an integer", () => {
    assert.deepEqual(pg("1..5"), [
      ["number", "1"],
      ["punctuation", "."],
      ["number", ".5"],
    ]);
  });
});

describe("postgresql lexer: operators and punctuation", () => {
  test("casts and assignment", () => {
    assert.deepEqual(pg("x::int := 1"), [
      ["word", "x"],
      ["operator", "::"],
      ["word", "int"],
      ["operator", ":="],
      ["number", "1"],
    ]);
  });

  test("trailing sign splits off unless special", () => {
    assert.deepEqual(pg("a=-1 b@-1"), [
      ["word", "a"],
      ["operator", "="],
      ["operator", "-"],
      ["number", "1"],
      ["word", "b"],
      ["operator", "@-"],
      ["number", "1"],
    ]);
  });

  test("long operator runs", () => {
    assert.deepEqual(pg("<>= ||/ =+-"), [
      ["operator", "<>="],
      ["operator", "||/"],
      ["operator", "="],
      ["operator", "+"],
      ["operator", "-"],
    ]);
  });

  test("punctuation and unknown characters", () => {
    assert.deepEqual(pg("f(a, b[1:2]); \\ {"), [
      ["word", "f"],
      ["punctuation", "("],
      ["word", "a"],
      ["punctuation", ","],
      ["word", "b"],
      ["punctuation", "["],
      ["number", "1"],
      ["punctuation", ":"],
      ["number", "2"],
      ["punctuation", "]"],
      ["punctuation", ")"],
      ["punctuation", ";"],
      ["unknown", "\\"],
      ["unknown", "{"],
    ]);
  });

  test("NUL is unknown outside strings and content inside", () => {
    assert.deepEqual(pg("1\0'a\0b'"), [
      ["number", "1"],
      ["unknown", "\0"],
      ["string", "'a\0b'"],
    ]);
  });
});

describe("postgresql lexer: offsets", () => {
  test("whitespace tokens and offsets", () => {
    const tokens = tokenizeSql("a  'b'", "postgresql");
    assert.deepEqual(
      tokens.map((token) => [
        token.kind,
        token.start,
        token.end,
        token.contentStart,
        token.contentEnd,
      ]),
      [
        ["word", 0, 1, 0, 1],
        ["whitespace", 1, 3, 1, 3],
        ["string", 3, 6, 4, 5],
      ],
    );
  });

  test("empty query has no tokens", () => {
    assert.deepEqual(tokenizeSql("", "postgresql"), []);
  });
});
