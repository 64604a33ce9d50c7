import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectSerializedFunction, functionMarker } from "../../../src/detectors/deserialization";
import type { UserInput } from "../../../src/detectors/types";

function input(value: string): UserInput {
  return { source: "body", path: "body.data", value };
}

const payload = `${functionMarker}function () { return 1 }()`;

describe("node-serialize function marker", () => {
  test("whole document from input", () => {
    const text = JSON.stringify({ rce: payload });
    assert.equal(detectSerializedFunction(text, [input(text)])?.reason, "serialized-function");
  });

  test("value from input in object", () => {
    const finding = detectSerializedFunction({ profile: { bio: payload } }, [input(payload)]);
    assert.equal(finding?.input?.value, payload);
  });

  test("escaped marker in raw input", () => {
    const text = String.raw`{"rce":"_$$\u004e\u0044_FUNC$$_function () {}()"}`;
    assert.notEqual(detectSerializedFunction(text, [input(text)]), undefined);
  });

  test("escaped marker inside value", () => {
    const value = String.raw`_$$\u004e\u0044_FUNC$$_function () {}()`;
    const text = `{"a":"${value}"}`;
    assert.notEqual(detectSerializedFunction(text, [input(value)]), undefined);
  });

  test("marker not at value start", () => {
    const text = JSON.stringify({ note: `see ${functionMarker}` });
    assert.equal(detectSerializedFunction(text, [input(text)]), undefined);
  });

  test("application function without input", () => {
    const text = JSON.stringify({ run: `${functionMarker}function () { return id }` });
    assert.equal(detectSerializedFunction(text, [input("id"), input("alice")]), undefined);
  });

  test("plain JSON passes", () => {
    const text = '{"name":"O\'Brien","tags":["a"]}';
    assert.equal(detectSerializedFunction(text, [input(text)]), undefined);
  });

  test("invalid JSON passes", () => {
    assert.equal(detectSerializedFunction(`{${payload}`, [input(payload)]), undefined);
  });

  test("cyclic object terminates", () => {
    const cyclic: Record<string, unknown> = { name: "x" };
    cyclic.self = cyclic;
    assert.equal(detectSerializedFunction(cyclic, [input("xx")]), undefined);
  });
});
