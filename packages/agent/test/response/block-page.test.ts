import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";

import { renderBlockPage } from "../../src/response/block-page";

function request(accept?: string): IncomingMessage {
  return { headers: accept === undefined ? {} : { accept } } as IncomingMessage;
}

test("JSON page by default", () => {
  const page = renderBlockPage(request(), "event-1");
  assert.match(page.contentType, /^application\/json/);
  assert.equal(JSON.parse(page.body).event_id, "event-1");
});

test("HTML page for browsers", () => {
  const page = renderBlockPage(request("text/html,application/xhtml+xml,*/*;q=0.8"), "event-2");
  assert.match(page.contentType, /^text\/html/);
  assert.ok(page.body.includes("event-2"));
});

test("JSON page when JSON ranks first", () => {
  const page = renderBlockPage(request("application/json, text/html"), "event-3");
  assert.match(page.contentType, /^application\/json/);
});
