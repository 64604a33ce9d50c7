// One Lambda cold start: loads a handler module, invokes it once with an HTTP API (payload 2.0)
// event, and prints, at the moment the invocation resolved: the milliseconds since process start
// (performance.timeOrigin), the CPU time the process used so far (user plus system, in
// milliseconds), and the number of CommonJS modules loaded. `node invoke-once.cjs plain|wrapped`
// (run.mjs also passes `uncached`: the wrapped handler, with RAMPART_CODE_CACHE=off).
"use strict";

const variant = process.argv[2];
const { handler } = require(variant === "plain" ? "./handler-plain.cjs" : "./handler-wrapped.cjs");

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
const lambdaContext = { awsRequestId: "bench", getRemainingTimeInMillis: () => 3000 };

Promise.resolve(handler(event, lambdaContext)).then((result) => {
  const elapsedMs = performance.now();
  const cpu = process.cpuUsage();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const modules = Object.keys(require.cache).length;
  if (result.statusCode !== 200) throw new Error(`unexpected result ${JSON.stringify(result)}`);
  process.stdout.write(`${JSON.stringify({ elapsedMs, cpuMs, modules })}\n`);
});
