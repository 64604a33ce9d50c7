import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { HttpClient } from "../helpers/http-client";
import {
  assertSent,
  lastEvent,
  postJson,
  sleep,
  useMongoApp,
  waitForCommands,
} from "../helpers/mongo-app";

/** Milliseconds to wait before concluding that a request raised no event. */
const quietPeriodMs = 300;

function useApp(script: string, loader: "require" | "import", env: Record<string, string> = {}) {
  const current = {} as { app: RunningApp; client: HttpClient };
  before(async () => {
    current.app = await startApp({ script, loader, mode: "block", env });
    current.client = new HttpClient(current.app.url);
  });
  after(async () => {
    current.client.close();
    await current.app.stop();
  });
  return current;
}

describe("prototype pollution, Express", () => {
  const current = useApp("proto-express.cjs", "require");

  async function expectEvent(send: () => Promise<{ status: number; body: string }>, path: string) {
    const eventsBefore = current.app.events().length;
    const response = await send();
    assert.equal(response.status, 200, response.body);

    const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
    assert.equal(event.attack_type, "prototype_pollution");
    assert.equal(event.action, "monitored");
    assert.equal(event.sink, "http.ServerResponse.end");
    assert.equal(event.input.path, path);
    assert.deepEqual(eventSchemaErrors(event), []);
    await sleep(quietPeriodMs);
    assert.equal(
      current.app.events().length,
      eventsBefore + 1,
      "more than one event for the request",
    );
  }

  test("__proto__ in JSON body reported", async () => {
    await expectEvent(
      () => postRawJson(current.client, "/profile", '{"name":"a","__proto__":{"isAdmin":true}}'),
      "body.__proto__",
    );
  });

  test("__proto__ in an unwrapped document reported", async () => {
    const document = '{"name":"a","__proto__":{"isAdmin":true}}';
    await expectEvent(
      () => postRawJson(current.client, "/envelope", JSON.stringify({ document })),
      "body.__proto__",
    );
  });

  test("nested constructor.prototype reported", async () => {
    await expectEvent(
      () =>
        postJson(current.client, "/profile", {
          a: { constructor: { prototype: { isAdmin: true } } },
        }),
      "body.a.constructor.prototype",
    );
  });

  test("__proto__ in query reported", async () => {
    await expectEvent(() => current.client.get("/search?__proto__[isAdmin]=1"), "query.__proto__");
  });

  test("percent-encoded __proto__ in query reported", async () => {
    // `%70` is `p`: only the decoded URL spells the key.
    await expectEvent(
      () => current.client.get("/search?__%70roto__[isAdmin]=1"),
      "query.__proto__",
    );
  });

  test("constructor[prototype] in query reported", async () => {
    await expectEvent(
      () => current.client.get("/search?constructor[prototype][isAdmin]=1"),
      "query.constructor.prototype",
    );
  });

  test("one event for several keys", async () => {
    await expectEvent(
      () =>
        current.client.send({
          path: "/profile?__proto__[a]=1&prototype[b]=2",
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"__proto__":{"x":1},"constructor":{"prototype":{"y":1}}}',
        }),
      "query.__proto__",
    );
  });

  test("ordinary keys not reported", async () => {
    const eventsBefore = current.app.events().length;
    const bodies: unknown[] = [
      { proto: 1, prototypes: ["a"], constructor: "Bob", prototype: "v2" },
      { product: { prototype: true, constructor: { name: "Ada" } } },
    ];
    for (const body of bodies) {
      assert.equal((await postJson(current.client, "/profile", body)).status, 200);
    }
    assert.equal(
      (await current.client.get("/search?prototype=1&constructor=x&proto[a]=1")).status,
      200,
    );
    await sleep(quietPeriodMs);
    assert.equal(current.app.events().length, eventsBefore);
  });
});

describe("prototype pollution, node:http ESM", () => {
  const current = useApp("proto-http.mjs", "import");

  test("__proto__ in query reported", async () => {
    const eventsBefore = current.app.events().length;
    const response = await current.client.get("/items?name=x&__proto__[polluted]=1");
    assert.equal(response.status, 200);

    const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
    assert.equal(event.attack_type, "prototype_pollution");
    assert.equal(event.input.path, "query.__proto__");
    assert.equal(event.request.path, "/items");
  });

  test("__proto__ in a body the app read reported", async () => {
    const eventsBefore = current.app.events().length;
    const response = await fetch(`${current.app.url}/merge`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"x","__proto__":{"isAdmin":true}}',
    });
    assert.equal(response.status, 200);

    const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
    assert.equal(event.attack_type, "prototype_pollution");
    assert.equal(event.input.path, "body.__proto__");
  });
});

const pollutingLogin = '{"user":"a","password":"b","__proto__":{"isAdmin":true}}';

describe("prototype pollution at a sink", () => {
  const current = useMongoApp("mongo-app.cjs", "require", "block");

  test("reported once at the first sink", async () => {
    const eventsBefore = current.app.events().length;
    const commandsBefore = current.recorder.operations("find").length;

    const response = await postRawJson(current.client, "/login", pollutingLogin);
    assert.equal(response.status, 200, response.body);
    assert.equal(
      await waitForCommands(current.recorder, "find", commandsBefore + 1),
      commandsBefore + 1,
    );

    const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
    assert.equal(event.attack_type, "prototype_pollution");
    assert.equal(event.sink, "mongodb.Collection.findOne");
    assert.equal(event.action, "monitored");
    assert.equal(event.input.path, "body.__proto__");
    await sleep(quietPeriodMs);
    assert.equal(
      current.app.events().length,
      eventsBefore + 1,
      "more than one event for the request",
    );
  });
});

describe("prototype pollution with detector mode block", () => {
  const current = useMongoApp("mongo-app.cjs", "require", "block", {
    RAMPART_DETECTOR_MODES: "prototype_pollution=block",
  });

  test("first sink refused", async () => {
    const eventsBefore = current.app.events().length;
    const response = await postRawJson(current.client, "/login", pollutingLogin);
    assert.equal(response.status, 403, response.body);

    const event = lastEvent(await current.app.waitForEvents(eventsBefore + 1));
    assert.equal(event.attack_type, "prototype_pollution");
    assert.equal(event.action, "blocked");
    await sleep(quietPeriodMs);
    assert.equal(current.recorder.operations("find").length, 0, "the refused query was sent");
  });
});

describe("prototype hardening", () => {
  test("pollution reaches objects without it", async () => {
    const app = await startApp({ script: "proto-express.cjs", loader: "require", mode: "monitor" });
    const client = new HttpClient(app.url);
    try {
      const response = await postRawJson(client, "/merge", '{"__proto__":{"polluted":"yes"}}');
      assert.equal(JSON.parse(response.body).polluted, "yes");
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("sealed prototypes stop the merge", async () => {
    const app = await startApp({
      script: "proto-express.cjs",
      loader: "require",
      mode: "monitor",
      env: { RAMPART_FREEZE_PROTOTYPES: "true" },
    });
    const client = new HttpClient(app.url);
    try {
      const response = await postRawJson(client, "/merge", '{"__proto__":{"polluted":"yes"}}');
      assert.equal(response.status, 200, response.body);
      assert.equal(JSON.parse(response.body).polluted, null);
      assert.match(app.stderr(), /built-in prototypes sealed/);
    } finally {
      client.close();
      await app.stop();
    }
  });

  test("frozen prototypes break Express 4", async () => {
    await assert.rejects(
      startApp({
        script: "proto-express.cjs",
        loader: "require",
        mode: "monitor",
        env: { RAMPART_FREEZE_PROTOTYPES: "freeze" },
      }),
      /Cannot assign to read only property/,
    );
  });
});

describe("prototype hardening with mongoose", () => {
  const current = useMongoApp("mongo-mongoose-app.cjs", "require", "block", {
    RAMPART_FREEZE_PROTOTYPES: "true",
  });

  test("sealed prototypes keep queries working", async () => {
    await assertSent(
      current,
      () => postJson(current.client, "/login", { user: "a", password: "b" }),
      "find",
    );
    const response = await postJson(current.client, "/login", { user: "a", password: { $ne: "" } });
    assert.equal(response.status, 403, response.body);
  });
});

function postRawJson(client: HttpClient, path: string, body: string) {
  return client.send({
    path,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
}
