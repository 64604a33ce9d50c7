import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

const attack = "lamp' OR '1'='1";

/** A GraphQL request of the suite, with the input path that the event must name on attack. */
interface GraphqlCase {
  readonly name: string;
  readonly send: (url: string, value: string) => Promise<Response>;
  readonly inputPath: string;
}

const byVariables = `query Items($name: String!) { items(name: $name) { id name } }`;
const inline = (value: string) => `{ items(name: ${JSON.stringify(value)}) { id name } }`;

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const postCases: GraphqlCase[] = [
  {
    name: "variables",
    send: (url, value) => post(url, { query: byVariables, variables: { name: value } }),
    inputPath: "graphql.variables.name",
  },
  {
    name: "inline argument",
    send: (url, value) => post(url, { query: inline(value) }),
    inputPath: "graphql.args.items.name",
  },
];

/** GET with the query in the URL; Apollo's CSRF prevention wants a preflight header. */
const getCase: GraphqlCase = {
  name: "inline argument in a GET query",
  send: (url, value) =>
    fetch(`${url}?query=${encodeURIComponent(inline(value))}`, {
      headers: { "apollo-require-preflight": "true" },
    }),
  inputPath: "graphql.args.items.name",
};

/**
 * Sends SQL injection through GraphQL variables and inline arguments to a test app whose
 * resolver concatenates its argument into SQL: each attack gets the agent's 403 although the
 * GraphQL server reports resolver errors with status 200, and each benign request gets its data.
 */
export function graphqlSuite(name: string, script: string, options: { get?: boolean } = {}): void {
  const cases = options.get === true ? [...postCases, getCase] : postCases;

  describe(`${name}: GraphQL attack and benign cases`, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp({ script, loader: "require", mode: "block" });
    });
    after(() => app?.stop());

    for (const graphqlCase of cases) {
      test(`${graphqlCase.name}: attack answered 403`, async () => {
        const response = await graphqlCase.send(`${app.url}/graphql`, attack);
        const text = await response.text();
        assert.equal(response.status, 403, `body: ${text}\nstderr:\n${app.stderr()}`);

        const { event_id: eventId } = JSON.parse(text) as { event_id: string };
        const event = await app.waitForEvent(eventId);
        assert.ok(event, `event ${eventId} logged; stderr:\n${app.stderr()}`);
        assert.equal(event.action, "blocked");
        assert.equal(event.attack_type, "sql_injection");
        assert.equal(event.input.path, graphqlCase.inputPath);
        assert.equal(event.input.value, attack);
      });

      test(`${graphqlCase.name}: benign request answered with data`, async () => {
        const response = await graphqlCase.send(`${app.url}/graphql`, "lamp");
        const text = await response.text();
        assert.equal(response.status, 200, `body: ${text}`);
        const result = JSON.parse(text) as { data?: { items: unknown[] }; errors?: unknown };
        assert.equal(result.errors, undefined, text);
        assert.deepEqual(result.data?.items, [{ id: 1, name: "lamp" }]);
      });
    }

    test("one event per attack", () => {
      assert.equal(app.events().length, cases.length);
    });
  });
}
