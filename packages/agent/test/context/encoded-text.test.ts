import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { describe, test } from "node:test";

import fc from "fast-check";

import { base64DecodedForms } from "../../src/context/encoded-text";

/**
 * Decodes a plain value (no authorization scheme, no JWT dots) as the agent defines it, without
 * its shortcut that skips values whose first bytes cannot begin a text.
 */
function decodedByDefinition(value: string): string[] {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return [];
  const data = value.replace(/=+$/, "");
  if (data.length < 3 || data.length % 4 === 1) return [];

  const bytes = Buffer.from(value, "base64");
  if (bytes.length === 0 || !isUtf8(bytes)) return [];
  const control = bytes.some(
    (byte) => (byte < 0x20 && (byte < 0x09 || byte > 0x0d)) || byte === 0x7f,
  );
  return control ? [] : [bytes.toString("utf8")];
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_";

describe("base64 decoded forms", () => {
  test("texts in every script decode, as base64 and base64url", () => {
    for (const text of [
      "' OR 1=1--",
      ";id",
      "café au lait",
      "日本語のテキスト",
      "😀 smile",
      "a\tb\nc",
    ]) {
      const bytes = Buffer.from(text, "utf8");
      assert.deepEqual(base64DecodedForms(bytes.toString("base64")), [text]);
      assert.deepEqual(base64DecodedForms(bytes.toString("base64url")), [text]);
    }
  });

  test("ordinary words and binary tokens add no form", () => {
    for (const word of ["products", "keep-alive", "category", "by-category", "tools"]) {
      assert.deepEqual(base64DecodedForms(word), [], word);
    }
    assert.deepEqual(
      base64DecodedForms(Buffer.from([0xff, 0x00, 0x81, 0x10]).toString("base64")),
      [],
    );
  });

  test("the first-bytes shortcut never changes a result", () => {
    const base64Text = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 24 })
      .chain((text) =>
        fc.constantFrom(
          Buffer.from(text, "utf8").toString("base64"),
          Buffer.from(text, "utf8").toString("base64url"),
        ),
      );
    const alphabetRun = fc.string({
      unit: fc.constantFrom(...base64Alphabet),
      minLength: 3,
      maxLength: 24,
    });
    fc.assert(
      fc.property(fc.oneof(base64Text, alphabetRun), (value) => {
        assert.deepEqual(base64DecodedForms(value), decodedByDefinition(value));
      }),
      { numRuns: 20_000 },
    );
  });
});
