// Base64, base64url, authorization tokens and JWT parts: the decoded text becomes an input when it
// reads as text, and ordinary tokens add nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { base64DecodedForms, maxBase64Length } from "../../src/context/encoded-text";
import { InputCollector } from "../../src/context/input-collector";
import { unsignedJwt } from "./evasion-app";

function collectedValues(value: unknown): string[] {
  const collector = new InputCollector();
  collector.addValue("body", "body", value);
  return collector.inputs.map((input) => input.value);
}

describe("base64 decoded forms", () => {
  const attack = "' OR 1=1--";

  test("standard and URL-safe alphabets", () => {
    const text = "é?>~' OR 1=1--";
    assert.deepEqual(base64DecodedForms(Buffer.from(text).toString("base64")), [text]);
    assert.deepEqual(base64DecodedForms(Buffer.from(text).toString("base64url")), [text]);
  });

  test("padding optional", () => {
    const encoded = Buffer.from(attack).toString("base64");
    assert.ok(encoded.endsWith("="));
    assert.deepEqual(base64DecodedForms(encoded.replace(/=+$/, "")), [attack]);
  });

  test("shortest attacks decoded", () => {
    assert.deepEqual(base64DecodedForms(Buffer.from(";id").toString("base64")), [";id"]);
    assert.deepEqual(base64DecodedForms(Buffer.from("'/").toString("base64")), ["'/"]);
  });

  test("authorization schemes", () => {
    assert.deepEqual(
      base64DecodedForms(`Basic ${Buffer.from("admin:x' OR 1").toString("base64")}`),
      ["admin:x' OR 1"],
    );
    const token = unsignedJwt({ q: attack });
    const forms = base64DecodedForms(`Bearer ${token}`);
    assert.ok(forms.includes(JSON.stringify({ q: attack })), forms.join(" | "));
    assert.ok(forms.includes(JSON.stringify({ alg: "none", typ: "JWT" })));
  });

  test("other text with spaces not decoded", () => {
    assert.deepEqual(base64DecodedForms("item 1234"), []);
    assert.deepEqual(base64DecodedForms("Mozilla/5.0 (X11; Linux x86_64)"), []);
  });

  test("binary decodings rejected", () => {
    // Hashes, random ids and images decode to bytes that are not text.
    assert.deepEqual(base64DecodedForms("d41d8cd98f00b204e9800998ecf8427e"), []);
    assert.deepEqual(base64DecodedForms(Buffer.from([0, 1, 2, 255, 254]).toString("base64")), []);
    assert.deepEqual(base64DecodedForms("iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"), []);
  });

  test("values over the size bound not decoded", () => {
    const large = Buffer.from("a".repeat((maxBase64Length / 4) * 3 + 3)).toString("base64");
    assert.ok(large.length > maxBase64Length);
    assert.deepEqual(base64DecodedForms(large), []);
  });

  test("collector adds decoded text and its JSON leaves", () => {
    const token = unsignedJwt({ sub: "42", q: attack });
    const values = collectedValues({
      token,
      data: Buffer.from(JSON.stringify({ q: attack })).toString("base64"),
    });

    assert.ok(values.includes(attack), values.join(" | "));
    assert.ok(values.includes(token));
  });

  test("decoded text not decoded again", () => {
    const twice = Buffer.from(Buffer.from(attack).toString("base64")).toString("base64");
    const values = collectedValues({ twice });

    assert.ok(values.includes(Buffer.from(attack).toString("base64")));
    assert.ok(!values.includes(attack));
  });
});
