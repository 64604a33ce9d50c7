import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { contentOf, lex } from "./lex";

const lite = (query: string) => lex(query, "sqlite");

describe("sqlite lexer: strings and blobs", () => {
  test("string doubles quotes", () => {
    assert.deepEqual(lite("'it''s'"), [["string", "'it''s'"]]);
    assert.equal(contentOf("'it''s'", "sqlite"), "it''s");
  });

  test("backslash is an ordinary character", () => {
    assert.deepEqual(lite("'a\\' OR 1"), [
      ["string", "'a\\'"],
      ["word", "OR"],
      ["number", "1"],
    ]);
  });

  test("blob literals", () => {
    assert.deepEqual(lite("X'41' x'4a'"), [
      ["string", "X'41'"],
      ["string", "x'4a'"],
    ]);
  });

  test("unterminated string", () => {
    assert.deepEqual(lite("x = 'abc"), [
      ["word", "x"],
      ["operator", "="],
      ["string", "'abc", "unterminated"],
    ]);
  });

  test("NUL ends a string as unterminated", () => {
    assert.deepEqual(lite("'a\0b'"), [
      ["string", "'a", "unterminated"],
      ["unknown", "\0"],
      ["word", "b"],
      ["string", "'", "unterminated"],
    ]);
  });
});

describe("sqlite lexer: identifiers", () => {
  test("three quoted identifier forms", () => {
    assert.deepEqual(lite('"a""b" `c``d` [e f]'), [
      ["quoted-identifier", '"a""b"'],
      ["quoted-identifier", "`c``d`"],
      ["quoted-identifier", "[e f]"],
    ]);
    assert.equal(contentOf("[e f]", "sqlite"), "e f");
  });

  test("bracket identifier ends at first bracket", () => {
    assert.deepEqual(lite("[a]]"), [
      ["quoted-identifier", "[a]"],
      ["unknown", "]"],
    ]);
  });

  test("unterminated identifiers", () => {
    assert.deepEqual(lite('"abc'), [["quoted-identifier", '"abc', "unterminated"]]);
    assert.deepEqual(lite("`abc"), [["quoted-identifier", "`abc", "unterminated"]]);
    assert.deepEqual(lite("[abc"), [["quoted-identifier", "[abc", "unterminated"]]);
  });

  test("words", () => {
    assert.deepEqual(lite("tbl$1 _x ñandú"), [
      ["word", "tbl$1"],
      ["word", "_x"],
      ["word", "ñandú"],
    ]);
  });
});

describe("sqlite lexer: comments", () => {
  test("line comment", () => {
    assert.deepEqual(lite("1 -- x\n2"), [
      ["number", "1"],
      ["comment", "-- x"],
      ["number", "2"],
    ]);
  });

  test("block comments do not nest", () => {
    assert.deepEqual(lite("/* a /* b */ c */"), [
      ["comment", "/* a /* b */"],
      ["word", "c"],
      ["operator", "*"],
      ["operator", "/"],
    ]);
  });

  test("unterminated block comment", () => {
    assert.deepEqual(lite("1 /* x"), [
      ["number", "1"],
      ["comment", "/* x", "unterminated"],
    ]);
  });
});

describe("sqlite lexer: parameters", () => {
  test("all placeholder forms", () => {
    assert.deepEqual(lite("? ?12 :name @name $name $ns::var :1"), [
      ["parameter", "?"],
      ["parameter", "?12"],
      ["parameter", ":name"],
      ["parameter", "@name"],
      ["parameter", "$name"],
      ["parameter", "$ns::var"],
      ["parameter", ":1"],
    ]);
  });

  test("sigil without a name is unknown", () => {
    assert.deepEqual(lite(": @ $"), [
      ["unknown", ":"],
      ["unknown", "@"],
      ["unknown", "$"],
    ]);
  });
});

describe("sqlite lexer: numbers and operators", () => {
  test("numbers", () => {
    assert.deepEqual(lite("1 1.5 .5 1e5 0x1F 1_000"), [
      ["number", "1"],
      ["number", "1.5"],
      ["number", ".5"],
      ["number", "1e5"],
      ["number", "0x1F"],
      ["number", "1_000"],
    ]);
  });

  test("operators", () => {
    assert.deepEqual(lite("a == b || c ->> d <> e"), [
      ["word", "a"],
      ["operator", "=="],
      ["word", "b"],
      ["operator", "||"],
      ["word", "c"],
      ["operator", "->>"],
      ["word", "d"],
      ["operator", "<>"],
      ["word", "e"],
    ]);
  });

  test("punctuation and unknown characters", () => {
    assert.deepEqual(lite("f(a, b); ! \\"), [
      ["word", "f"],
      ["punctuation", "("],
      ["word", "a"],
      ["punctuation", ","],
      ["word", "b"],
      ["punctuation", ")"],
      ["punctuation", ";"],
      ["unknown", "!"],
      ["unknown", "\\"],
    ]);
  });
});
