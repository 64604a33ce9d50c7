import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startControl, type RunningControl } from "../helpers/control-client";
import { createSqliteDatabase, type TestDatabase } from "../helpers/databases";

describe("dashboard pages", () => {
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

  test("GET / serves the dashboard", async () => {
    const response = await fetch(`${control.plane.url}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await response.text(), /<html/i);
  });

  test("HEAD / like GET, without a body", async () => {
    const response = await fetch(`${control.plane.url}/`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(await response.text(), "");
  });

  test("unknown page is a JSON 404", async () => {
    const response = await fetch(`${control.plane.url}/no-such-page`);
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { code: string } };
    assert.equal(body.error.code, "not_found");
  });
});
