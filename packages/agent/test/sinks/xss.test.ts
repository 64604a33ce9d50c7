import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp, type SecurityEvent } from "../helpers/app-process";
import { eventSchemaErrors } from "../helpers/event-schema";
import { HttpClient, withQuery } from "../helpers/http-client";

const attack = "<script>alert(1)</script>";
const handlerAttack = "<img src=x onerror=alert(1)>";

interface PartialResponse {
  status: number;
  body: string;
  /** True when the connection ended before the response was complete. */
  truncated: boolean;
}

/** GET that keeps whatever arrived when the server cuts the connection. */
function getPartial(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<PartialResponse> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL(path, base), { headers }, (response) => {
      let body = "";
      let complete = false;
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => (complete = true));
      response.on("error", () => undefined);
      response.on("close", () =>
        resolve({ status: response.statusCode ?? 0, body, truncated: !complete }),
      );
    });
    request.on("error", reject);
  });
}

async function eventFor(app: RunningApp, requestId: string): Promise<SecurityEvent | undefined> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const event = app.events().find((candidate) => candidate.request.request_id === requestId);
    if (event !== undefined) return event;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

/** Waits long enough for an event of this request to be written, then returns whether one was. */
async function assertNoEvent(app: RunningApp, requestId: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const events = app.events().filter((event) => event.request?.request_id === requestId);
  assert.deepEqual(events, []);
}

function assertXssEvent(event: SecurityEvent | undefined, action: string, sink: string): void {
  assert.ok(event !== undefined, "no event written");
  assert.deepEqual(eventSchemaErrors(event), []);
  assert.equal(event.attack_type, "xss");
  assert.equal(event.action, action);
  assert.equal(event.sink, sink);
  assert.equal(event.input.path, "query.name");
}

let requestCounter = 0;
function nextId(prefix: string): string {
  requestCounter++;
  return `${prefix}-${requestCounter}`;
}

const frameworks = ["express4", "express5", "fastify4", "fastify5", "http"] as const;

// Fastify 4 sends a string payload with `res.write` and then calls `res.end()` without a body.
const bodySink: Record<(typeof frameworks)[number], string> = {
  express4: "http.ServerResponse.end",
  express5: "http.ServerResponse.end",
  fastify4: "http.ServerResponse.write",
  fastify5: "http.ServerResponse.end",
  http: "http.ServerResponse.end",
};

for (const framework of frameworks) {
  describe(`xss ${framework} blocking`, () => {
    let app: RunningApp;
    let client: HttpClient;
    before(async () => {
      app = await startApp({
        script: "xss-app.cjs",
        loader: "require",
        mode: "block",
        env: { FRAMEWORK: framework, RAMPART_DETECTOR_MODES: "xss=block" },
      });
      client = new HttpClient(app.url);
    });
    after(async () => {
      client.close();
      await app.stop();
    });

    test("reflected script blocked", async () => {
      const id = nextId("block");
      const response = await client.get(withQuery("/greet", [["name", attack]]), {
        "x-request-id": id,
      });
      assert.equal(response.status, 403, response.body);
      assert.ok(!response.body.includes("alert(1)"), response.body);
      const event = await eventFor(app, id);
      assertXssEvent(event, "blocked", bodySink[framework]);
      assert.equal(event?.reason, "tag-injection");
      assert.ok(event?.operation.includes(attack));
    });

    test("event handler blocked with HTML page", async () => {
      const id = nextId("html-page");
      const response = await client.get(withQuery("/greet", [["name", handlerAttack]]), {
        "x-request-id": id,
        accept: "text/html",
      });
      assert.equal(response.status, 403);
      assert.match(String(response.headers["content-type"]), /text\/html/);
      assert.ok(!response.body.includes("onerror"));
      assertXssEvent(await eventFor(app, id), "blocked", bodySink[framework]);
      // The 403 page itself passes through the hooks without being judged.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const events = app.events().filter((event) => event.request.request_id === id);
      assert.equal(events.length, 1);
    });

    test("escaped reflection passes", async () => {
      const id = nextId("escaped");
      const response = await client.get(withQuery("/greet-escaped", [["name", attack]]), {
        "x-request-id": id,
      });
      assert.equal(response.status, 200);
      assert.ok(response.body.includes("&#60;script&#62;"));
      await assertNoEvent(app, id);
    });

    test("plain text name passes", async () => {
      const id = nextId("benign");
      const name = "O'Brien <3 a < b";
      const response = await client.get(withQuery("/greet", [["name", name]]), {
        "x-request-id": id,
      });
      assert.equal(response.status, 200);
      assert.ok(response.body.includes(name));
      await assertNoEvent(app, id);
    });

    test("JSON response not inspected", async () => {
      const id = nextId("json");
      const response = await client.get(withQuery("/json", [["name", attack]]), {
        "x-request-id": id,
      });
      assert.equal(response.status, 200);
      assert.ok(response.body.includes("alert(1)"));
      await assertNoEvent(app, id);
    });

    test("late chunk ends connection", async () => {
      const id = nextId("late");
      const response = await getPartial(app.url, withQuery("/stream", [["name", attack]]), {
        "x-request-id": id,
      });
      assert.equal(response.status, 200);
      assert.ok(response.truncated, "the response should be cut off");
      assert.ok(!response.body.includes("alert(1)"), response.body);
      const event = await eventFor(app, id);
      assertXssEvent(event, "blocked", "http.ServerResponse.write");
      assert.equal(event?.reason, "tag-injection:after-response-started");
    });
  });
}

describe("xss first streamed chunk", () => {
  let app: RunningApp;
  let client: HttpClient;
  before(async () => {
    app = await startApp({
      script: "xss-app.cjs",
      loader: "require",
      env: { FRAMEWORK: "http", RAMPART_DETECTOR_MODES: "xss=block" },
    });
    client = new HttpClient(app.url);
  });
  after(async () => {
    client.close();
    await app.stop();
  });

  test("first chunk replaced by block page", async () => {
    const id = nextId("first-chunk");
    const response = await client.get(withQuery("/stream-first", [["name", attack]]), {
      "x-request-id": id,
    });
    assert.equal(response.status, 403);
    assert.ok(!response.body.includes("alert(1)"));
    assertXssEvent(await eventFor(app, id), "blocked", "http.ServerResponse.write");
  });

  test("invalid header error reaches app", async () => {
    const id = nextId("invalid-header");
    const response = await client.get(
      withQuery("/greet-header", [["name", "a\r\nX-Injected: 1"]]),
      {
        "x-request-id": id,
      },
    );
    assert.equal(response.status, 500);
    assert.equal(response.body, "ERR_INVALID_CHAR");
    await assertNoEvent(app, id);
  });

  test("held-back writeHead replayed", async () => {
    const id = nextId("replayed");
    const response = await client.get(withQuery("/greet-header", [["name", "Ada"]]), {
      "x-request-id": id,
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers["x-name"], "Ada");
    assert.match(response.body, /<h1>Hello Ada<\/h1>/);
  });

  test("untyped HTML buffer sniffed", async () => {
    const id = nextId("untyped");
    const response = await client.get(withQuery("/greet-untyped", [["name", attack]]), {
      "x-request-id": id,
    });
    assert.equal(response.status, 403);
    assertXssEvent(await eventFor(app, id), "blocked", "http.ServerResponse.end");
  });
});

describe("xss monitor by default", () => {
  for (const framework of ["express4", "fastify5"] as const) {
    test(`${framework} logs and sends page`, async () => {
      const app = await startApp({
        script: "xss-app.cjs",
        loader: "require",
        mode: "block",
        env: { FRAMEWORK: framework },
      });
      const client = new HttpClient(app.url);
      try {
        const id = nextId("monitor");
        const response = await client.get(withQuery("/greet", [["name", attack]]), {
          "x-request-id": id,
        });
        assert.equal(response.status, 200);
        assert.ok(response.body.includes(`<h1>Hello ${attack}</h1>`));
        assertXssEvent(await eventFor(app, id), "monitored", "http.ServerResponse.end");
      } finally {
        client.close();
        await app.stop();
      }
    });
  }
});

describe("xss template engines", () => {
  let app: RunningApp;
  let client: HttpClient;
  before(async () => {
    app = await startApp({
      script: "xss-app.cjs",
      loader: "require",
      env: { FRAMEWORK: "express5", RAMPART_DETECTOR_MODES: "xss=block" },
    });
    client = new HttpClient(app.url);
  });
  after(async () => {
    client.close();
    await app.stop();
  });

  for (const route of ["/ejs", "/pug", "/handlebars", "/ejs-send"]) {
    test(`${route} unescaped blocked`, async () => {
      const id = nextId("raw-template");
      const response = await client.get(withQuery(`${route}/raw`, [["name", handlerAttack]]), {
        "x-request-id": id,
      });
      assert.equal(response.status, 403, response.body);
      assertXssEvent(await eventFor(app, id), "blocked", "http.ServerResponse.end");
    });

    test(`${route} escaped passes`, async () => {
      const id = nextId("escaped-template");
      const response = await client.get(withQuery(`${route}/escaped`, [["name", handlerAttack]]), {
        "x-request-id": id,
      });
      assert.equal(response.status, 200, response.body);
      assert.ok(response.body.includes("&lt;img"), response.body);
      await assertNoEvent(app, id);
    });
  }
});

describe("xss ESM apps", () => {
  for (const framework of ["express5", "http"] as const) {
    test(`${framework} blocks reflected script`, async () => {
      const app = await startApp({
        script: "xss-app.mjs",
        loader: "import",
        env: { FRAMEWORK: framework, RAMPART_DETECTOR_MODES: "xss=block" },
      });
      const client = new HttpClient(app.url);
      try {
        const id = nextId("esm");
        const response = await client.get(withQuery("/greet", [["name", attack]]), {
          "x-request-id": id,
        });
        assert.equal(response.status, 403);
        assertXssEvent(await eventFor(app, id), "blocked", "http.ServerResponse.end");
      } finally {
        client.close();
        await app.stop();
      }
    });
  }
});
