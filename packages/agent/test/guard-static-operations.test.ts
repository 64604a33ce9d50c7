import assert from "node:assert/strict";
import { test } from "node:test";

import { StaticOperations } from "../src/guard/static-operations";

test("remembered text found", () => {
  const cache = new StaticOperations();
  const query = "SELECT * FROM products WHERE name LIKE $1";
  assert.ok(!cache.has(query));
  cache.remember(query);
  assert.ok(cache.has(query));
});

test("entries bounded, oldest dropped", () => {
  const cache = new StaticOperations();
  for (let index = 0; index < 505; index++) cache.remember(`SELECT ${index}`);
  assert.ok(!cache.has("SELECT 0"));
  assert.ok(cache.has("SELECT 504"));
});

test("long texts never remembered", () => {
  const cache = new StaticOperations();
  const query = `SELECT '${"x".repeat(5000)}'`;
  cache.remember(query);
  assert.ok(!cache.has(query));
});
