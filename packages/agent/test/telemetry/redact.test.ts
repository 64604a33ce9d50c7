import assert from "node:assert/strict";
import { test } from "node:test";

import {
  isSensitivePath,
  maskSecret,
  maskSecretShapes,
  truncate,
} from "../../src/telemetry/redact";

test("sensitive paths recognised", () => {
  for (const path of [
    "body.password",
    "body.user.passwd",
    "query.api_key",
    "headers.authorization",
    "cookies.sid",
    "body.accessToken",
  ]) {
    assert.ok(isSensitivePath(path), path);
  }
  for (const path of ["query.name", "body.sort", "params.id", "headers.user-agent"]) {
    assert.ok(!isSensitivePath(path), path);
  }
});

test("secret masked with length only", () => {
  assert.equal(maskSecret("hunter2"), "[redacted 7 chars]");
});

test("tokens inside text masked", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";
  const masked = maskSecretShapes(`x' or token='${jwt}' -- Bearer abcdefghijklmnop`);
  assert.ok(!masked.includes(jwt));
  assert.ok(!masked.includes("abcdefghijklmnop"));
  assert.ok(masked.startsWith("x' or token='"));
});

test("truncate marks the cut", () => {
  assert.equal(truncate("abcdef", 10), "abcdef");
  assert.equal(truncate("abcdef", 3), "abc…[3 more chars]");
});
