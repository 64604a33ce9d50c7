import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp } from "../helpers/app-process";

/**
 * Element values as the XML carries them and as the parser returns them. The escaped form
 * appears in the body text only as entities, so only the parsed document shows the injection.
 */
const attacks = [
  { name: "plain", xml: "lamp' OR '1'='1" },
  { name: "entity-escaped", xml: "lamp&apos; OR &apos;1&apos;=&apos;1" },
];
const parsedAttack = "lamp' OR '1'='1";

const order = (name: string) => `<?xml version="1.0"?><order><name>${name}</name></order>`;

function post(url: string, xml: string): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/xml" }, body: xml });
}

describe("XML bodies parsed by the app", () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp({
      script: "frameworks/xml-express.cjs",
      loader: "require",
      mode: "block",
    });
  });
  after(() => app?.stop());

  for (const parser of ["fast-xml-parser", "xml2js"]) {
    for (const attack of attacks) {
      test(`${parser}: ${attack.name} SQL injection answered 403`, async () => {
        const response = await post(`${app.url}/${parser}`, order(attack.xml));
        const text = await response.text();
        assert.equal(response.status, 403, `body: ${text}\nstderr:\n${app.stderr()}`);

        const event = await app.waitForEvent((JSON.parse(text) as { event_id: string }).event_id);
        assert.equal(event?.attack_type, "sql_injection");
        assert.equal(event?.input.value, parsedAttack);
        assert.match(event?.input.path ?? "", /^xml\.order\.name/);
      });
    }

    test(`${parser}: benign order answered 200`, async () => {
      const response = await post(`${app.url}/${parser}`, order("lamp"));
      const text = await response.text();
      assert.equal(response.status, 200, `body: ${text}`);
      assert.equal((JSON.parse(text) as unknown[]).length, 1);
    });
  }

  test("one event per attack", () => {
    assert.equal(app.events().length, 4);
  });
});
