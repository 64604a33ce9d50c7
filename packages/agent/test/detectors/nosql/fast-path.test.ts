// Measures the cost of judging a MongoDB call whose request carries no operator-like input and
// whose filter runs no JavaScript: the path that nearly every call takes.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { test } from "node:test";

import { readConfig } from "../../../src/config";
import { RequestContext } from "../../../src/context/request-context";
import { contextStorage } from "../../../src/context/storage";
import { setAgentState } from "../../../src/guard/agent-state";
import { inspectMongoOperation } from "../../../src/sinks/mongodb";

/** Upper bound per call in microseconds; loose for a shared 2-core machine, the target is 2 µs. */
const budgetMicroseconds = 20;
const iterations = 200_000;

function requestContext(): RequestContext {
  const socket = new net.Socket();
  const req = new http.IncomingMessage(socket);
  req.url = "/login?user=alice&next=%2Fhome";
  req.headers = { host: "127.0.0.1", "user-agent": "test", cookie: "session=abc" };
  (req as http.IncomingMessage & { body?: unknown }).body = { user: "alice", password: "O'Brien" };
  return new RequestContext(req, new http.ServerResponse(req));
}

test("fast path per call", () => {
  setAgentState({ config: readConfig({ RAMPART_MODE: "block", RAMPART_EVENTS: "stderr" }).config });
  const context = requestContext();
  const filter = { user: "alice", password: "O'Brien", deleted: { $ne: true } };
  const documents = [{ role: "filter" as const, value: filter }];

  const perCall = contextStorage.run(context, () => {
    for (let index = 0; index < 10_000; index++)
      inspectMongoOperation("mongodb.Collection.findOne", "findOne", documents);

    const started = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) {
      assert.equal(
        inspectMongoOperation("mongodb.Collection.findOne", "findOne", documents),
        undefined,
      );
    }
    return Number(process.hrtime.bigint() - started) / iterations / 1000;
  });

  console.log(`# mongodb fast path: ${perCall.toFixed(3)} µs per call (${iterations} calls)`);
  assert.ok(perCall < budgetMicroseconds, `${perCall} µs per call`);
});
