// Splits one wrapped cold start into phases and prints the CPU milliseconds (user plus system) of
// each: Node.js itself up to this script, loading and starting the agent (`rampart/lambda`),
// loading the handler module (better-sqlite3, whose patch module the agent loads with it), and
// the first invocation. `node cold-start/phases.cjs`, with the environment that run.mjs sets
// (RAMPART_MODE=block, RAMPART_EVENTS=FILE, RAMPART_LOG_LEVEL=warn, NODE_EXTRA_CA_CERTS unset).
"use strict";

function cpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const phases = [];
let last = 0;
function endPhase(name) {
  const now = cpuMs();
  phases.push({ phase: name, cpuMs: Math.round((now - last) * 10) / 10 });
  last = now;
}

endPhase("node");
const { wrap } = require("rampart/lambda");
endPhase("agent");
const { handle } = require("./handler-work.cjs");
endPhase("handler module");

const event = {
  version: "2.0",
  routeKey: "GET /items",
  rawPath: "/items",
  rawQueryString: "name=apple",
  headers: { host: "abc123.execute-api.us-east-1.amazonaws.com", "user-agent": "bench" },
  queryStringParameters: { name: "apple" },
  requestContext: {
    http: { method: "GET", path: "/items", protocol: "HTTP/1.1", sourceIp: "203.0.113.7" },
    requestId: "bench",
    routeKey: "GET /items",
    stage: "$default",
  },
  isBase64Encoded: false,
};

wrap(handle)(event, { awsRequestId: "bench", getRemainingTimeInMillis: () => 3000 }).then(() => {
  endPhase("first invocation");
  console.log(JSON.stringify(phases));
});
