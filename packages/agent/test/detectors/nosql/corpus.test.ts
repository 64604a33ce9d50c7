import assert from "node:assert/strict";
import { describe, test } from "node:test";

import qs from "qs";

import type { SecurityEvent } from "../../helpers/app-process";
import { corpusSkipReason, loadCorpus, type CorpusEntry } from "../../helpers/corpus";
import { withQuery, type HttpRequest, type HttpResponse } from "../../helpers/http-client";
import { sleep, useMongoApp, waitForCommands } from "../../helpers/mongo-app";

const skip = corpusSkipReason();

/** Concurrent requests: each pass-through route waits about 50 ms for the recorder, which never replies. */
const concurrency = 24;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasOperatorKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasOperatorKey);
  if (!isObject(value)) return false;
  return Object.keys(value).some((key) => key.startsWith("$") || hasOperatorKey(value[key]));
}

/**
 * Places an object payload in the login form: an operator object (`{"$ne":1}`) becomes the
 * password, and an object of fields (`{"login":{...},"pass":{...}}`) gives its values to user
 * and password in order, as the payload's author meant them for a login form.
 */
function loginBody(payload: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(payload).some((key) => key.startsWith("$")))
    return { user: "admin", password: payload };

  const [user, password = "x"] = Object.values(payload);
  return { user, password };
}

function jsonRequest(path: string, body: unknown): HttpRequest {
  return {
    path,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

function nosqlEvents(events: readonly SecurityEvent[]): SecurityEvent[] {
  return events.filter((event) => event.attack_type === "nosql_injection");
}

/** Returns the ids of entries whose response is not the expected status, for a readable failure. */
function unexpected(
  entries: readonly CorpusEntry[],
  responses: readonly HttpResponse[],
  status: number,
): string[] {
  return entries
    .filter((_entry, index) => responses[index]?.status !== status)
    .map((entry) => entry.id);
}

describe("nosqli corpus through Express and the driver", { skip }, () => {
  const current = useMongoApp("mongo-app.cjs", "require", "block");

  test("operator payloads blocked, nothing sent", async () => {
    const objects = loadCorpus("nosqli").filter(
      (entry) => isObject(entry.payload_json) && hasOperatorKey(entry.payload_json),
    );
    assert.ok(objects.length >= 30, `only ${objects.length} object payloads`);

    // One benign login first, so the recorder is known to see commands from this app.
    const warmUp = await current.client.send(
      jsonRequest("/login", { user: "alice", password: "pw" }),
    );
    assert.equal(warmUp.status, 200, warmUp.body);
    const commandsBefore = await waitForCommands(current.recorder, "find", 1);
    assert.equal(commandsBefore, 1);

    const requests = objects.flatMap((entry) => {
      const payload = entry.payload_json as Record<string, unknown>;
      const body = loginBody(payload);
      return [
        jsonRequest("/login", body),
        { path: `/login?${qs.stringify(body)}` },
        jsonRequest("/search", payload),
      ];
    });
    const responses = await current.client.sendAll(requests, concurrency);
    const missed = requests.filter((_request, index) => responses[index]?.status !== 403);
    console.log(
      `# nosqli object payloads: ${requests.length - missed.length}/${requests.length} requests blocked (${objects.length} payloads, 3 routes each)`,
    );
    assert.deepEqual(
      missed.map((request) => `${request.method ?? "GET"} ${request.path} ${request.body ?? ""}`),
      [],
    );

    await sleep(300);
    assert.equal(
      current.recorder.operations("find").length,
      commandsBefore,
      "a blocked query was sent",
    );
  });

  test("$where payloads blocked", async () => {
    const strings = loadCorpus("nosqli").filter((entry) => typeof entry.payload === "string");
    const stringContext = strings.filter((entry) => entry.context === "mongo-where-js-string");
    const bareContext = strings.filter((entry) => entry.context === "mongo-where-js");

    const stringResponses = await current.client.sendAll(
      stringContext.map((entry) => ({
        path: withQuery("/where-string", [["name", entry.payload as string]]),
      })),
      concurrency,
    );
    const bareResponses = await current.client.sendAll(
      bareContext.map((entry) => ({
        path: withQuery("/where-number", [["age", entry.payload as string]]),
      })),
      concurrency,
    );
    console.log(
      `# nosqli $where payloads: string context ${stringContext.length - unexpected(stringContext, stringResponses, 403).length}/${stringContext.length}, ` +
        `bare context ${bareContext.length - unexpected(bareContext, bareResponses, 403).length}/${bareContext.length} blocked`,
    );
    assert.deepEqual(unexpected(stringContext, stringResponses, 403), []);
    assert.deepEqual(unexpected(bareContext, bareResponses, 403), []);

    // Payloads written for queries built as JS object-literal text have no such sink in the
    // driver; inside a quoted $where literal they are blocked when they leave the literal.
    const literalConcat = strings.filter(
      (entry) =>
        entry.context === "mongo-query-literal-concat" ||
        entry.tags?.includes("js-object-literal-only"),
    );
    const concatResponses = await current.client.sendAll(
      literalConcat.map((entry) => ({
        path: withQuery("/where-string", [["name", entry.payload as string]]),
      })),
      concurrency,
    );
    const leaving = literalConcat.filter((entry) =>
      /['\\\n\r\u2028\u2029]/.test(entry.payload as string),
    );
    console.log(
      `# nosqli literal-concat payloads in a quoted $where: ${literalConcat.length - unexpected(literalConcat, concatResponses, 403).length}/${literalConcat.length} blocked (${leaving.length} leave the literal)`,
    );
    assert.deepEqual(
      unexpected(
        leaving,
        concatResponses.filter((_r, index) =>
          leaving.includes(literalConcat[index] as CorpusEntry),
        ),
        403,
      ),
      [],
    );
  });
});

describe("benign corpus through Express and the driver", { skip }, () => {
  const current = useMongoApp("mongo-app.cjs", "require", "block");

  test("benign strings never flagged", async () => {
    const benign = loadCorpus("benign").filter((entry) => typeof entry.payload === "string");
    const eventsBefore = nosqlEvents(current.app.events()).length;

    const requests = benign.flatMap((entry) => {
      const value = entry.payload as string;
      return [
        jsonRequest("/login", { user: value, password: value }),
        {
          path: withQuery("/login", [
            ["user", value],
            ["password", "x"],
          ]),
        },
        { path: withQuery("/where-escaped", [["name", value]]) },
      ];
    });
    const responses = await current.client.sendAll(requests, concurrency);
    const refused = requests.filter((_request, index) => responses[index]?.status !== 200);
    await sleep(300);
    const flagged = nosqlEvents(current.app.events()).length - eventsBefore;
    console.log(
      `# benign strings: ${flagged}/${benign.length} flagged (${requests.length} requests)`,
    );
    assert.deepEqual(
      refused.map((request) => request.path),
      [],
    );
    assert.equal(flagged, 0);
  });

  test("benign strings in a quoted $where", async () => {
    // Only a string with a quote, backslash or line break can leave a '...' literal.
    const benign = loadCorpus("benign").filter((entry) => typeof entry.payload === "string");
    const responses = await current.client.sendAll(
      benign.map((entry) => ({
        path: withQuery("/where-string", [["name", entry.payload as string]]),
      })),
      concurrency,
    );
    const blocked = benign.filter((_entry, index) => responses[index]?.status === 403);
    const blockedInside = blocked.filter(
      (entry) => !/['\\\n\r\u2028\u2029]/.test(entry.payload as string),
    );
    console.log(
      `# benign strings in a quoted $where: ${blocked.length}/${benign.length} blocked, all of them leave the literal`,
    );
    assert.deepEqual(
      blockedInside.map((entry) => entry.id),
      [],
    );
  });

  test("benign JSON bodies never flagged", async () => {
    const objects = loadCorpus("benign").filter((entry) => entry.payload_json !== undefined);
    const eventsBefore = nosqlEvents(current.app.events()).length;

    // The driver rejects an array as a filter, so arrays go only to the login form.
    const requests = objects.flatMap((entry) => [
      ...(isObject(entry.payload_json) ? [jsonRequest("/search", entry.payload_json)] : []),
      jsonRequest("/login", { user: entry.payload_json, password: "x" }),
    ]);
    const responses = await current.client.sendAll(requests, concurrency);
    await sleep(300);
    const flagged = nosqlEvents(current.app.events()).length - eventsBefore;
    console.log(`# benign JSON bodies: ${flagged}/${objects.length} flagged`);
    assert.deepEqual(
      requests
        .filter((_request, index) => responses[index]?.status !== 200)
        .map((request) => request.body),
      [],
    );
    assert.equal(flagged, 0);
  });
});
