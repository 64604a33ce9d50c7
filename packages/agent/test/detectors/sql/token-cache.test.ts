import assert from "node:assert/strict";
import { test } from "node:test";

import { cachedTokens } from "../../../src/detectors/sql/token-cache";

test("repeated query lexed once", () => {
  const query = "SELECT id FROM products WHERE category = $1";
  assert.equal(cachedTokens(query, "postgresql"), cachedTokens(query, "postgresql"));
});

test("dialects cached apart", () => {
  const query = "SELECT 'a\\' FROM t";
  assert.notEqual(cachedTokens(query, "mysql"), cachedTokens(query, "postgresql"));
});

test("long queries not cached", () => {
  const query = `SELECT '${"x".repeat(5000)}'`;
  assert.notEqual(cachedTokens(query, "sqlite"), cachedTokens(query, "sqlite"));
});

test("least recently used dropped", () => {
  const first = cachedTokens("SELECT 0", "sqlite");
  for (let index = 1; index <= 300; index++) cachedTokens(`SELECT ${index}`, "sqlite");
  assert.notEqual(cachedTokens("SELECT 0", "sqlite"), first);
});
