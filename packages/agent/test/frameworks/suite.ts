import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type AppOptions, type RunningApp } from "../helpers/app-process";

/** SQL injection that every route carries into its query. */
const attack = "lamp' OR '1'='1";
/** Numeric injection for the `/items/:id` route, whose SQL has no quotes. */
const numericAttack = "1 OR 1=1";

/** One request of the shared suite, with the input paths that may name the input in the event. */
export interface FrameworkCase {
  readonly name: string;
  readonly path: string;
  readonly init?: RequestInit;
  readonly inputPaths: readonly string[];
  /** User id that the app sets with `setUser`, expected in the event. */
  readonly user?: string;
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Builds the suite's requests for one value: attacks when `value` is one, benign requests otherwise. */
export function frameworkCases(value: string, numeric: string): FrameworkCase[] {
  const encoded = encodeURIComponent(value);
  return [
    {
      name: "nested query key",
      path: `/query?filter[name]=${encoded}`,
      inputPaths: ["query.filter.name"],
    },
    {
      name: "JSON body",
      path: "/json",
      init: json({ item: { name: value } }),
      inputPaths: ["body.item.name"],
    },
    {
      name: "urlencoded body",
      path: "/form",
      init: {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `name=${encoded}`,
      },
      inputPaths: ["body.name"],
    },
    {
      name: "text body",
      path: "/text",
      init: { method: "POST", headers: { "content-type": "text/plain" }, body: value },
      inputPaths: ["body"],
    },
    {
      name: "route param",
      path: `/items/${encodeURIComponent(numeric)}`,
      inputPaths: ["params.id"],
    },
    { name: "path segment", path: `/raw/${encoded}`, inputPaths: ["params.rest", "path.1"] },
    {
      name: "header",
      path: "/header",
      init: { headers: { "x-owner": value } },
      inputPaths: ["headers.x-owner"],
    },
    {
      name: "cookie",
      path: "/cookie",
      init: { headers: { cookie: `owner=${encoded}` } },
      inputPaths: ["cookies.owner"],
    },
    {
      name: "signed-in user",
      path: `/me?name=${encoded}`,
      init: { headers: { "x-user-id": "u-42" } },
      inputPaths: ["query.name"],
      user: "u-42",
    },
  ];
}

export interface FrameworkSuiteOptions extends Omit<AppOptions, "mode"> {
  /** Case names that this framework cannot serve, with the reason stated in the test output. */
  readonly skip?: Readonly<Record<string, string>>;
  /** Sends the requests in place of the global fetch (HTTP/1.1), for HTTPS or HTTP/2 apps. */
  readonly fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

/**
 * Runs the shared attack and benign requests against a framework test app (one per framework in
 * test/fixtures/frameworks/, serving the routes that handlers.cjs lists) in block mode: every
 * attack gets the agent's 403 with an event id, the event names the input and the route, and every
 * benign request gets the app's 200.
 */
export function frameworkSuite(name: string, options: FrameworkSuiteOptions): void {
  describe(`${name}: shared attack and benign cases`, () => {
    const send = options.fetch ?? fetch;
    let app: RunningApp;
    before(async () => {
      const { fetch: _send, skip: _skip, ...appOptions } = options;
      app = await startApp({ ...appOptions, mode: "block" });
    });
    after(() => app?.stop());

    for (const attackCase of frameworkCases(attack, numericAttack)) {
      const skipReason = options.skip?.[attackCase.name];
      test(`${attackCase.name}: attack gets 403`, { skip: skipReason }, async () => {
        const response = await send(`${app.url}${attackCase.path}`, attackCase.init);
        const text = await response.text();
        assert.equal(response.status, 403, `body: ${text}\nstderr:\n${app.stderr()}`);
        assert.match(response.headers.get("content-type") ?? "", /application\/json/);

        const { event_id: eventId } = JSON.parse(text) as { event_id: string };
        const event = await app.waitForEvent(eventId);
        assert.ok(event, `event ${eventId} logged; stderr:\n${app.stderr()}`);
        assert.equal(event.action, "blocked");
        assert.equal(event.attack_type, "sql_injection");
        assert.ok(
          attackCase.inputPaths.includes(event.input.path),
          `input path ${event.input.path} is one of ${attackCase.inputPaths.join(", ")}`,
        );
        assert.equal(event.request.path, attackCase.path.split("?")[0]);
        if (attackCase.user !== undefined) assert.equal(event.request.user?.id, attackCase.user);
      });
    }

    for (const benignCase of frameworkCases("lamp", "1")) {
      const skipReason = options.skip?.[benignCase.name];
      test(`${benignCase.name}: benign request gets 200`, { skip: skipReason }, async () => {
        const response = await send(`${app.url}${benignCase.path}`, benignCase.init);
        const text = await response.text();
        assert.equal(response.status, 200, `body: ${text}\nstderr:\n${app.stderr()}`);
        const rows = JSON.parse(text) as { name: string }[];
        assert.equal(rows.length, 1, "the benign query found its row");
      });
    }

    test("one event per attack and none for the benign requests", () => {
      const attacks = frameworkCases(attack, numericAttack).filter(
        (attackCase) => options.skip?.[attackCase.name] === undefined,
      );
      assert.equal(app.events().length, attacks.length);
    });
  });
}
