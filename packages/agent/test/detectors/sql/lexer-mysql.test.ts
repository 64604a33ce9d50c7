import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { tokenizeSql } from "../../../src/detectors/sql";
import { contentOf, lex } from "./lex";

const my = (query: string) => lex(query, "mysql");

describe("mysql lexer: strings", () => {
  test("single quotes take backslash escapes and doubling", () => {
    assert.deepEqual(my("'O\\'Brien' 'it''s' '\\\\'"), [
      ["string", "'O\\'Brien'"],
      ["string", "'it''s'"],
      ["string", "'\\\\'"],
    ]);
  });

  test("double quotes are strings", () => {
    assert.deepEqual(my('"a\\"b" "c""d"'), [
      ["string", '"a\\"b"'],
      ["string", '"c""d"'],
    ]);
    assert.equal(contentOf('"a\\"b"', "mysql"), 'a\\"b');
  });

  test("backslash keeps a quote inside", () => {
    assert.deepEqual(my("'\\' OR 1=1 -- '"), [["string", "'\\' OR 1=1 -- '"]]);
  });

  test("unterminated strings", () => {
    assert.deepEqual(my("'abc\\'"), [["string", "'abc\\'", "unterminated"]]);
    assert.deepEqual(my("x = 'abc\\"), [
      ["word", "x"],
      ["operator", "="],
      ["string", "'abc\\", "unterminated"],
    ]);
    assert.deepEqual(my('"abc'), [["string", '"abc', "unterminated"]]);
  });

  test("hex, bit and national literals", () => {
    assert.deepEqual(my("x'41' X'4A' b'01' B'1' N'abc' n'\\''"), [
      ["string", "x'41'"],
      ["string", "X'4A'"],
      ["string", "b'01'"],
      ["string", "B'1'"],
      ["string", "N'abc'"],
      ["string", "n'\\''"],
    ]);
  });

  test("character set introducers", () => {
    assert.deepEqual(my("_utf8'a' _utf8mb4\"b\" _latin1 'c'"), [
      ["string", "_utf8'a'"],
      ["string", '_utf8mb4"b"'],
      ["word", "_latin1"],
      ["string", "'c'"],
    ]);
    assert.equal(contentOf("_binary'x\\'y'", "mysql"), "x\\'y");
  });
});

describe("mysql lexer: identifiers and words", () => {
  test("backtick identifiers double backticks", () => {
    assert.deepEqual(my("`a``b` `c d`"), [
      ["quoted-identifier", "`a``b`"],
      ["quoted-identifier", "`c d`"],
    ]);
  });

  test("backslash does not escape a backtick", () => {
    assert.deepEqual(my("`a\\` b"), [
      ["quoted-identifier", "`a\\`"],
      ["word", "b"],
    ]);
  });

  test("unterminated backtick identifier", () => {
    assert.deepEqual(my("SELECT `abc"), [
      ["word", "SELECT"],
      ["quoted-identifier", "`abc", "unterminated"],
    ]);
  });

  test("words may start with digits or dollar", () => {
    assert.deepEqual(my("1abc 0x1G $col"), [
      ["word", "1abc"],
      ["word", "0x1G"],
      ["word", "$col"],
    ]);
  });

  test("variables start with an at operator", () => {
    assert.deepEqual(my("@@version @id"), [
      ["operator", "@"],
      ["operator", "@"],
      ["word", "version"],
      ["operator", "@"],
      ["word", "id"],
    ]);
  });
});

describe("mysql lexer: comments", () => {
  test("hash comment runs to newline", () => {
    assert.deepEqual(my("1 # x */ y\n2"), [
      ["number", "1"],
      ["comment", "# x */ y"],
      ["number", "2"],
    ]);
    assert.equal(contentOf("# note", "mysql"), " note");
  });

  test("double dash needs whitespace or control after", () => {
    assert.deepEqual(my("-- a\n--\tb\n--\u0001c\n--"), [
      ["comment", "-- a"],
      ["comment", "--\tb"],
      ["comment", "--\u0001c"],
      ["comment", "--"],
    ]);
  });

  test("double dash without space is two minuses", () => {
    assert.deepEqual(my("1--1 --x"), [
      ["number", "1"],
      ["operator", "-"],
      ["operator", "-"],
      ["number", "1"],
      ["operator", "-"],
      ["operator", "-"],
      ["word", "x"],
    ]);
  });

  test("block comments do not nest", () => {
    assert.deepEqual(my("/* a /* b */ c */"), [
      ["comment", "/* a /* b */"],
      ["word", "c"],
      ["operator", "*"],
      ["operator", "/"],
    ]);
  });

  test("optimizer hint is an ordinary comment", () => {
    assert.deepEqual(my("SELECT /*+ BKA(t) */ 1"), [
      ["word", "SELECT"],
      ["comment", "/*+ BKA(t) */"],
      ["number", "1"],
    ]);
  });

  test("unterminated block comment", () => {
    assert.deepEqual(my("1 /* x"), [
      ["number", "1"],
      ["comment", "/* x", "unterminated"],
    ]);
  });
});

describe("mysql lexer: executable comments", () => {
  test("content is lexed as code", () => {
    assert.deepEqual(my("1 /*!50000 UNION SELECT 'a*/' */ 2"), [
      ["number", "1"],
      ["executable-comment-open", "/*!50000"],
      ["word", "UNION"],
      ["word", "SELECT"],
      ["string", "'a*/'"],
      ["executable-comment-close", "*/"],
      ["number", "2"],
    ]);
  });

  test("versionless and MariaDB forms", () => {
    assert.deepEqual(my("/*!SELECT*/ /*M!100100 x */"), [
      ["executable-comment-open", "/*!"],
      ["word", "SELECT"],
      ["executable-comment-close", "*/"],
      ["executable-comment-open", "/*M!100100"],
      ["word", "x"],
      ["executable-comment-close", "*/"],
    ]);
  });

  test("version takes at most five digits", () => {
    assert.deepEqual(my("/*!500001*/"), [
      ["executable-comment-open", "/*!50000"],
      ["number", "1"],
      ["executable-comment-close", "*/"],
    ]);
  });

  test("tokens inside are flagged", () => {
    const query = "a /*! b */ c";
    const flagged = tokenizeSql(query, "mysql")
      .filter((token) => token.inExecutableComment)
      .map((token) => query.slice(token.start, token.end));
    assert.deepEqual(flagged, [" ", "b", " "]);
  });

  test("ordinary comment inside does not close it", () => {
    assert.deepEqual(my("/*! a /* b */ c */"), [
      ["executable-comment-open", "/*!"],
      ["word", "a"],
      ["comment", "/* b */"],
      ["word", "c"],
      ["executable-comment-close", "*/"],
    ]);
  });

  test("unterminated executable comment", () => {
    assert.deepEqual(my("1 /*!50000 OR 1=1"), [
      ["number", "1"],
      ["executable-comment-open", "/*!50000", "unterminated"],
      ["word", "OR"],
      ["number", "1"],
      ["operator", "="],
      ["number", "1"],
    ]);
  });

  test("close outside an executable comment is two operators", () => {
    assert.deepEqual(my("2 */"), [
      ["number", "2"],
      ["operator", "*"],
      ["operator", "/"],
    ]);
  });
});

describe("mysql lexer: numbers, parameters and operators", () => {
  test("numbers", () => {
    assert.deepEqual(my("1 1.5 .5 1e5 1.5e-3 0x1F 0b101"), [
      ["number", "1"],
      ["number", "1.5"],
      ["number", ".5"],
      ["number", "1e5"],
      ["number", "1.5e-3"],
      ["number", "0x1F"],
      ["number", "0b101"],
    ]);
  });

  test("question mark placeholder", () => {
    assert.deepEqual(my("id = ?"), [
      ["word", "id"],
      ["operator", "="],
      ["parameter", "?"],
    ]);
  });

  test("multi-character operators", () => {
    assert.deepEqual(my("a<=>b := c->>d && e != f"), [
      ["word", "a"],
      ["operator", "<=>"],
      ["word", "b"],
      ["operator", ":="],
      ["word", "c"],
      ["operator", "->>"],
      ["word", "d"],
      ["operator", "&&"],
      ["word", "e"],
      ["operator", "!="],
      ["word", "f"],
    ]);
  });

  test("punctuation and unknown characters", () => {
    assert.deepEqual(my("{d '2024-01-01'}; \\N"), [
      ["punctuation", "{"],
      ["word", "d"],
      ["string", "'2024-01-01'"],
      ["punctuation", "}"],
      ["punctuation", ";"],
      ["unknown", "\\"],
      ["word", "N"],
    ]);
  });
});
