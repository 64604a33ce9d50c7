import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import {
  isSensitiveKey,
  isSensitivePath,
  maskKnownSecrets,
  maskSecretShapes,
  passesLuhn,
  redactEvent,
  setExtraRedactKeys,
} from "../../src/telemetry/redact";

afterEach(() => setExtraRedactKeys([]));

test("sensitive keys matched by word", () => {
  for (const key of [
    "password",
    "passwd",
    "userPassword",
    "x-api-key",
    "apikey",
    "api_key",
    "authorization",
    "sessionId",
    "PHPSESSID_session",
    "cardNumber",
    "credit_card",
    "cvv",
    "ssn",
    "client_secret",
    "refreshToken",
    "private-key",
  ]) {
    assert.ok(isSensitiveKey(key), key);
  }
  for (const key of [
    "author",
    "discard",
    "passenger",
    "name",
    "sort",
    "tokenizer_mode",
    "user-agent",
  ]) {
    assert.ok(!isSensitiveKey(key), key);
  }
});

test("extra keys from configuration", () => {
  assert.ok(!isSensitivePath("body.tenantPin"));
  setExtraRedactKeys(["tenant_pin", "X-Internal-Code"]);
  assert.ok(isSensitivePath("body.tenantPin"));
  assert.ok(isSensitivePath("headers.x-internal-code"));
  assert.ok(!isSensitivePath("body.tenant"));
});

test("luhn check on card numbers", () => {
  assert.ok(passesLuhn("4111111111111111"));
  assert.ok(passesLuhn("5500005555555559"));
  assert.ok(!passesLuhn("4111111111111112"));
});

test("card numbers masked only when valid", () => {
  const masked = maskSecretShapes("card 4111 1111 1111 1111 order 1234567890123");
  assert.ok(!masked.includes("4111 1111 1111 1111"), masked);
  assert.match(masked, /\[redacted card, 19 chars\]/);
  assert.ok(masked.includes("1234567890123"), "a number failing Luhn stays: it may be the payload");
});

test("emails, AWS keys and keyed secrets masked", () => {
  const text =
    "x' UNION SELECT 1 -- alice.smith+tag@example.co.uk AKIAIOSFODNN7EXAMPLE password='hunter22' api_key=abcdef123";
  const masked = maskSecretShapes(text);
  for (const secret of [
    "alice.smith+tag@example.co.uk",
    "AKIAIOSFODNN7EXAMPLE",
    "hunter22",
    "abcdef123",
  ])
    assert.ok(!masked.includes(secret), `${secret} in ${masked}`);
  assert.ok(masked.startsWith("x' UNION SELECT 1 -- "), "the injected structure stays visible");
  assert.match(masked, /password='\[redacted 8 chars\]'/, "quotes around a masked value stay");
});

test("JSON and header forms of keyed secrets", () => {
  const masked = maskSecretShapes(
    `{"user":"bob","password":"s3cr3t!!","token": "tok_123456"} Cookie: sid=abc123def`,
  );
  assert.ok(!masked.includes("s3cr3t!!"), masked);
  assert.ok(!masked.includes("tok_123456"), masked);
  assert.ok(!masked.includes("abc123def"), masked);
  assert.ok(masked.includes('"user":"bob"'));
});

test("known secrets masked wherever they appear", () => {
  const masked = maskKnownSecrets("WHERE name = 'x' OR 1=1 -- ' AND password = 'correct horse'", [
    "correct horse",
  ]);
  assert.ok(!masked.includes("correct horse"));
  assert.ok(masked.includes("'x' OR 1=1 --"));
  assert.equal(
    maskKnownSecrets("abc abc", ["abc"]),
    "abc abc",
    "values shorter than 4 characters are not searched",
  );
});

test("event redaction walks every field", () => {
  const event = {
    event_id: "4111111111111111",
    operation: "Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
    input: { source: "body", path: "body.password", value: "plain-secret", length: 12 },
    request: { headers: { "x-api-key": "key-123456", accept: "text/html" } },
  };
  const redacted = redactEvent(event);
  const text = JSON.stringify(redacted);
  for (const secret of ["abcdefghijklmnopqrstuvwxyz", "plain-secret", "key-123456"])
    assert.ok(!text.includes(secret), `${secret} in ${text}`);
  assert.equal(redacted.event_id, "4111111111111111", "agent ids are not searched for shapes");
  assert.equal(redacted.request.headers.accept, "text/html");
  assert.equal(event.input.value, "plain-secret", "the original event is unchanged");
});
