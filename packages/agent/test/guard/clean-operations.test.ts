import assert from "node:assert/strict";
import http from "node:http";
import { beforeEach, describe, test } from "node:test";

import { readConfig } from "../../src/config";
import { RequestContext } from "../../src/context/request-context";
import { contextStorage } from "../../src/context/storage";
import { setAgentState } from "../../src/guard/agent-state";
import { compilePolicy } from "../../src/policy/compiled";
import { maxCleanOperationLength, maxCleanOperations } from "../../src/guard/clean-operations";
import { setLogLevel } from "../../src/log";
import { inspectSql } from "../../src/sinks/sql";

setLogLevel("silent");

/**
 * Installs a fresh agent state in block mode, as a start or a policy reload does. The budget is
 * generous: an inspection over budget (a pause of a loaded machine) is not remembered as clean.
 */
function freshState(): void {
  const { config } = readConfig({ RAMPART_MODE: "block", RAMPART_LOG_LEVEL: "silent" });
  const document = { mode: "block" as const, inspection: { budgetMs: 10_000 } };
  setAgentState({ config, policy: compilePolicy(document, "clean-operations", {}) });
}

/**
 * Runs `run` in the context of a request to `url`, counting how often the request's inputs are
 * collected: a query judged from the cache collects none.
 */
function inRequest<T>(url: string, run: () => T): { result: T; collections: number } {
  const req = new http.IncomingMessage(null as never);
  req.method = "GET";
  req.url = url;
  req.headers = { host: "127.0.0.1:3000" };
  const context = new RequestContext(req, new http.ServerResponse(req));
  let collections = 0;
  const inputs = context.inputs.bind(context);
  context.inputs = () => {
    collections++;
    return inputs();
  };
  return { result: contextStorage.run(context, run), collections };
}

const parameterized = "SELECT id, name FROM products WHERE category = ?";

describe("clean operation cache", () => {
  beforeEach(freshState);

  test("repeated text skips judgement", () => {
    const first = inRequest("/p?category=tools", () =>
      inspectSql("t.query", "sqlite", parameterized),
    );
    assert.equal(first.result, undefined);
    assert.equal(first.collections, 1);

    const second = inRequest("/p?category=garden", () =>
      inspectSql("t.query", "sqlite", parameterized),
    );
    assert.equal(second.result, undefined);
    assert.equal(second.collections, 0);
  });

  test("injected text always judged", () => {
    const name = "x' OR '1'='1";
    const query = `SELECT * FROM users WHERE name = '${name}'`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const { result, collections } = inRequest(`/u?name=${encodeURIComponent(name)}`, () =>
        inspectSql("t.query", "sqlite", query),
      );
      assert.ok(result !== undefined, `attempt ${attempt} was not blocked`);
      // Collected for the detection, and once more for the event.
      assert.ok(collections >= 1, `attempt ${attempt} was not judged`);
    }
  });

  test("benign literal cached, attack blocked", () => {
    const benign = "SELECT * FROM users WHERE name = 'alice'";
    inRequest("/u?name=alice", () => inspectSql("t.query", "sqlite", benign));
    assert.equal(
      inRequest("/u?name=alice", () => inspectSql("t.query", "sqlite", benign)).collections,
      0,
    );

    const attack = "SELECT * FROM users WHERE name = 'alice' OR '1'='1'";
    const { result } = inRequest(`/u?name=${encodeURIComponent("alice' OR '1'='1")}`, () =>
      inspectSql("t.query", "sqlite", attack),
    );
    assert.ok(result !== undefined);
  });

  test("dialect part of the key", () => {
    inRequest("/p?category=tools", () => inspectSql("t.query", "sqlite", parameterized));
    const other = inRequest("/p?category=tools", () =>
      inspectSql("t.query", "mysql", parameterized),
    );
    assert.equal(other.collections, 1);
  });

  test("policy reload empties cache", () => {
    inRequest("/p?category=tools", () => inspectSql("t.query", "sqlite", parameterized));
    freshState();
    const after = inRequest("/p?category=tools", () =>
      inspectSql("t.query", "sqlite", parameterized),
    );
    assert.equal(after.collections, 1);
  });

  test("fail mode closed bypasses cache", () => {
    const { config } = readConfig({ RAMPART_MODE: "block", RAMPART_LOG_LEVEL: "silent" });
    const document = { mode: "block" as const, inspection: { failMode: "closed" as const } };
    setAgentState({ config, policy: compilePolicy(document, "fail-closed", {}) });

    inRequest("/p?category=tools", () => inspectSql("t.query", "sqlite", parameterized));
    const again = inRequest("/p?category=tools", () =>
      inspectSql("t.query", "sqlite", parameterized),
    );
    assert.equal(again.collections, 1);
  });

  test("long texts not cached", () => {
    const long = `SELECT * FROM products WHERE note = ? -- ${"x".repeat(maxCleanOperationLength)}`;
    inRequest("/p?category=tools", () => inspectSql("t.query", "sqlite", long));
    const again = inRequest("/p?category=tools", () => inspectSql("t.query", "sqlite", long));
    assert.equal(again.collections, 1);
  });

  test("full cache empties", () => {
    inRequest("/p?category=tools", () => inspectSql("t.query", "sqlite", parameterized));
    // Twice the cap, so the set fills and empties at least once after the first text.
    for (let index = 0; index < 2 * maxCleanOperations; index++) {
      inRequest("/p?category=tools", () =>
        inspectSql("t.query", "sqlite", `SELECT * FROM products WHERE id = ${index}`),
      );
    }
    const after = inRequest("/p?category=tools", () =>
      inspectSql("t.query", "sqlite", parameterized),
    );
    assert.equal(after.collections, 1);
  });

  test("injection matching app text unreported", () => {
    // The app's own query, built from a word that changes nothing.
    const text = "SELECT * FROM t WHERE name = 'a' OR 'b' = 'b'";
    inRequest("/own?flag=b", () => inspectSql("t.query", "sqlite", text));

    const { result } = inRequest(`/other?name=${encodeURIComponent("a' OR 'b' = 'b")}`, () =>
      inspectSql("t.query", "sqlite", text),
    );
    assert.equal(result, undefined);
  });
});
