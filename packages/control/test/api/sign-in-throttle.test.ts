import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { maxSignInFailures, signInWindowMs, SignInThrottle } from "../../src/auth/sign-in-throttle";
import { adminPassword, startControl, type RunningControl } from "../helpers/control-client";
import { createSqliteDatabase, type TestDatabase } from "../helpers/databases";

test("throttle opens after its window", () => {
  const throttle = new SignInThrottle();
  const start = 1_000_000;
  for (let index = 0; index < maxSignInFailures - 1; index++) {
    throttle.failed("203.0.113.9", "admin", start);
  }
  assert.equal(throttle.retryAfterMs("203.0.113.9", "admin", start), undefined);

  throttle.failed("203.0.113.9", "admin", start);
  assert.equal(throttle.retryAfterMs("203.0.113.9", "admin", start + 1000), signInWindowMs - 1000);
  assert.equal(throttle.retryAfterMs("203.0.113.10", "admin", start), undefined, "other address");
  assert.equal(throttle.retryAfterMs("203.0.113.9", "other", start), undefined, "other user");
  assert.equal(throttle.retryAfterMs("203.0.113.9", "admin", start + signInWindowMs), undefined);
});

test("success clears the failures", () => {
  const throttle = new SignInThrottle();
  for (let index = 0; index < maxSignInFailures - 1; index++) throttle.failed("a", "admin", 0);
  throttle.succeeded("a", "admin");
  throttle.failed("a", "admin", 0);
  assert.equal(throttle.retryAfterMs("a", "admin", 0), undefined);
});

describe("sign-in throttling", () => {
  let database: TestDatabase;
  let control: RunningControl;

  before(async () => {
    database = await createSqliteDatabase();
    control = await startControl(database);
  });
  after(async () => {
    await control?.stop();
    await database?.drop();
  });

  const signIn = async (password: string) => {
    const response = await fetch(`${control.plane.url}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
    await response.arrayBuffer();
    return response;
  };

  test("guessing ends in 429 with Retry-After", async () => {
    for (let index = 0; index < maxSignInFailures; index++) {
      assert.equal((await signIn(`guess ${index}`)).status, 401);
    }
    const rejected = await signIn(adminPassword);
    assert.equal(rejected.status, 429);
    const retryAfter = Number(rejected.headers.get("retry-after"));
    assert.ok(retryAfter > 0, String(retryAfter));
    assert.ok(retryAfter <= signInWindowMs / 1000, String(retryAfter));
  });
});
