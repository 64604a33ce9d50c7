import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  assertBlocked,
  assertSent,
  lastEvent,
  postJson,
  sleep,
  useMongoApp,
  waitForCommands,
} from "../helpers/mongo-app";

for (const [script, loader] of [
  ["mongo-mongoose-app.cjs", "require"],
  ["mongo-mongoose-app.mjs", "import"],
] as const) {
  describe(`mongoose, ${script}, block mode`, () => {
    const current = useMongoApp(script, loader, "block");

    test("string credentials reach the wire", async () => {
      await assertSent(
        current,
        () => postJson(current.client, "/login", { user: "alice", password: "pw" }),
        "find",
      );
      assert.deepEqual(current.recorder.operations("find").at(-1)?.body.filter, {
        user: "alice",
        password: "pw",
      });
    });

    test("operator object in JSON body blocked", async () => {
      await assertBlocked(
        current,
        () => postJson(current.client, "/login", { user: "admin", password: { $ne: "" } }),
        {
          sink: "mongoose.Query.findOne",
          path: "body.password",
          command: "find",
          reason: "user-operator-object",
        },
      );
    });

    test("operator object in query string blocked", async () => {
      await assertBlocked(
        current,
        () => current.client.get("/login?user[%24regex]=.*&password[%24ne]=1"),
        { sink: "mongoose.Query.findOne", path: "query.user", command: "find" },
      );
    });

    test("operator cast by schema still blocked", async () => {
      // Mongoose casts "17" to 17 for a Number path; the query is judged before the cast.
      await assertBlocked(
        current,
        () => postJson(current.client, "/by-age", { age: { $gt: "17" } }),
        { sink: "mongoose.Query.find", path: "body.age", command: "find" },
      );
      await assertSent(current, () => postJson(current.client, "/by-age", { age: "17" }), "find");
    });

    for (const [route, sink, command] of [
      ["/update", "mongoose.Query.updateOne", "update"],
      ["/delete", "mongoose.Query.deleteMany", "delete"],
      ["/count", "mongoose.Query.countDocuments", "aggregate"],
      ["/aggregate", "mongoose.Aggregate.exec", "aggregate"],
    ] as const) {
      test(`${route} judged`, async () => {
        await assertBlocked(
          current,
          () => postJson(current.client, route, { user: { $exists: true } }),
          {
            sink,
            path: "body.user",
            command,
          },
        );
        await assertSent(
          current,
          () => postJson(current.client, route, { user: "alice" }),
          command,
        );
      });
    }

    test("$where breakout blocked", async () => {
      await assertBlocked(
        current,
        () =>
          current.client.get(
            `/where?name=${encodeURIComponent("x' || this.password.length > 0 || '")}`,
          ),
        {
          sink: "mongoose.Query.find",
          path: "query.name",
          command: "find",
          reason: "server-code-tokens",
        },
      );
    });

    test("sanitizeFilter query left to mongoose", async () => {
      // sanitizeFilter wraps the object in $eq, which a String path then fails to cast.
      const eventsBefore = current.app.events().length;
      const response = await postJson(current.client, "/login-sanitized", {
        user: "admin",
        password: { $ne: "" },
      });
      assert.equal(response.status, 500, response.body);
      assert.equal(JSON.parse(response.body).error, "CastError");
      await sleep(200);
      assert.equal(current.app.events().length, eventsBefore);
    });

    test("sanitizeFilter query with strings sent", async () => {
      await assertSent(
        current,
        () => postJson(current.client, "/login-sanitized", { user: "admin", password: "pw" }),
        "find",
      );
    });
  });
}

describe("mongoose, monitor mode", () => {
  const current = useMongoApp("mongo-mongoose-app.cjs", "require", "monitor");

  test("one event per query", async () => {
    const eventsBefore = current.app.events().length;
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

    const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
    assert.equal(event.action, "monitored");
    assert.equal(event.sink, "mongoose.Query.findOne");
    await sleep(200);
    assert.equal(
      current.app.events().length,
      eventsBefore + 1,
      "the driver call judged the query again",
    );
  });
});
