import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  assertBlocked,
  assertSent,
  lastEvent,
  postJson,
  useMongoApp,
  waitForCommands,
  type MongoApp,
} from "../helpers/mongo-app";

/** Wire command that each Collection method of the fixture's `/ops/:method` route sends. */
const wireCommands: Record<string, string> = {
  find: "find",
  findOne: "find",
  countDocuments: "aggregate",
  count: "count",
  distinct: "distinct",
  updateOne: "update",
  updateMany: "update",
  deleteOne: "delete",
  deleteMany: "delete",
  replaceOne: "update",
  findOneAndUpdate: "findAndModify",
  findOneAndDelete: "findAndModify",
  findOneAndReplace: "findAndModify",
  aggregate: "aggregate",
  bulkWrite: "update",
};

for (const [script, loader] of [
  ["mongo-app.cjs", "require"],
  ["mongo-app.mjs", "import"],
] as const) {
  describe(`mongodb driver, ${script}, block mode`, () => {
    const current = useMongoApp(script, loader, "block");

    test("string credentials reach the wire", async () => {
      await assertSent(
        current,
        () => postJson(current.client, "/login", { user: "alice", password: "O'Brien" }),
        "find",
      );
      const sent = current.recorder.operations("find").at(-1);
      assert.deepEqual(sent?.body.filter, { user: "alice", password: "O'Brien" });
    });

    test("operator object in JSON body blocked", async () => {
      const event = await assertBlocked(
        current,
        () => postJson(current.client, "/login", { user: "admin", password: { $ne: "" } }),
        {
          sink: "mongodb.Collection.findOne",
          path: "body.password",
          command: "find",
          reason: "user-operator-object",
        },
      );
      assert.match(event.operation, /^findOne \{"user":"admin","password":/);
    });

    test("operator object in query string blocked", async () => {
      await assertBlocked(
        current,
        () => current.client.get("/login?user=admin&password[%24ne]=x"),
        { sink: "mongodb.Collection.findOne", path: "query.password", command: "find" },
      );
    });

    test("whole body as filter blocked", async () => {
      await assertBlocked(
        current,
        () => postJson(current.client, "/search", { $where: "sleep(100) || true" }),
        { sink: "mongodb.Collection.find", path: "body", command: "find" },
      );
    });

    for (const [method, command] of Object.entries(wireCommands)) {
      test(`${method} judged`, async () => {
        await assertBlocked(
          current,
          () => postJson(current.client, `/ops/${method}`, { user: { $gt: "" } }),
          { sink: `mongodb.Collection.${method}`, path: "body.user", command },
        );
        await assertSent(
          current,
          () => postJson(current.client, `/ops/${method}`, { user: "alice" }),
          command,
        );
      });
    }

    test("$where string breakout blocked", async () => {
      await assertBlocked(
        current,
        () => current.client.get(`/where-string?name=${encodeURIComponent("x' || '1'=='1")}`),
        {
          sink: "mongodb.Collection.find",
          path: "query.name",
          command: "find",
          reason: "server-code-tokens",
        },
      );
    });

    test("$where numeric injection blocked", async () => {
      await assertBlocked(
        current,
        () => current.client.get(`/where-number?age=${encodeURIComponent("0; return true")}`),
        { sink: "mongodb.Collection.find", path: "query.age", command: "find" },
      );
    });

    test("$function body injection blocked", async () => {
      await assertBlocked(
        current,
        () => current.client.get(`/function?name=${encodeURIComponent("x' || true || '")}`),
        { sink: "mongodb.Collection.aggregate", path: "query.name", command: "aggregate" },
      );
    });

    test("$where with literal values passes", async () => {
      await assertSent(
        current,
        () => current.client.get("/where-string?name=Alice%20Smith"),
        "find",
      );
      await assertSent(current, () => current.client.get("/where-number?age=18"), "find");
      await assertSent(
        current,
        () => current.client.get(`/where-escaped?name=${encodeURIComponent("x' || '1'=='1")}`),
        "find",
      );
    });

    test("app-authored operators pass", async () => {
      await assertSent(
        current,
        () => current.client.get(`/regex?name=${encodeURIComponent("a.*$ne")}`),
        "find",
      );
      const sent = current.recorder.operations("find").at(-1);
      assert.deepEqual(Object.keys(sent?.body.filter ?? {}), ["name", "age"]);
    });
  });
}

describe("mongodb driver, monitor mode", () => {
  const current = useMongoApp("mongo-app.cjs", "require", "monitor");

  test("operator object logged and sent", async () => {
    const eventsBefore = current.app.events().length;
    await assertSentDespiteEvent(current);
    const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
    assert.equal(event.action, "monitored");
    assert.equal(event.sink, "mongodb.Collection.findOne");
    assert.equal(event.input.path, "body.password");
    assert.equal(current.app.events().length, eventsBefore + 1, "one event per operation");
  });
});

async function assertSentDespiteEvent(current: MongoApp): Promise<void> {
  const commandsBefore = current.recorder.operations("find").length;
  const response = await postJson(current.client, "/login", {
    user: "admin",
    password: { $ne: "x" },
  });
  assert.equal(response.status, 200, response.body);
  assert.equal(
    await waitForCommands(current.recorder, "find", commandsBefore + 1),
    commandsBefore + 1,
  );
}
