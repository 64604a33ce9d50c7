import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { decodeComponent, parseQueryString, splitKey } from "../../src/context/query-string";

describe("query string parsing", () => {
  test("nested keys split like qs", () => {
    assert.deepEqual(splitKey("user[address][city]"), ["user", "address", "city"]);
    assert.deepEqual(splitKey("ids[]"), ["ids"]);
    assert.deepEqual(splitKey("plain"), ["plain"]);
    assert.deepEqual(splitKey("[leading]"), ["[leading]"]);
  });

  test("repeated keys stay separate pairs", () => {
    const pairs = parseQueryString("id=1&id=2&id=3");
    assert.deepEqual(
      pairs.map((pair) => pair.value),
      ["1", "2", "3"],
    );
    assert.ok(pairs.every((pair) => pair.key.join(".") === "id"));
  });

  test("plus is a space and escapes decode", () => {
    assert.equal(decodeComponent("a+b%27c"), "a b'c");
    assert.deepEqual(parseQueryString("q=1%20or%201%3D1")[0]?.value, "1 or 1=1");
  });

  test("malformed escapes stay raw", () => {
    assert.equal(decodeComponent("100%"), "100%");
    assert.equal(decodeComponent("%E0%A4%A"), "%E0%A4%A");
  });

  test("keys without values and empty parts", () => {
    const pairs = parseQueryString("flag&&x=");
    assert.deepEqual(pairs, [
      { key: ["flag"], value: "" },
      { key: ["x"], value: "" },
    ]);
  });
});
