import path from "node:path";

/**
 * Returns the source of a CommonJS script with a Lambda handler that concatenates its input into
 * SQL (better-sqlite3, in memory). The script wraps it with `rampart/lambda` from `distDir` and
 * invokes it once with `x' OR '1'='1`. `onResult` is the body of the function that receives the
 * invocation's `result`.
 */
export function lambdaInjectionScript(distDir: string, onResult: string): string {
  const sqlite = path.dirname(require.resolve("better-sqlite3/package.json"));
  return `const { wrap } = require(${JSON.stringify(path.join(distDir, "serverless", "index.js"))});
const Database = require(${JSON.stringify(sqlite)});
const db = new Database(":memory:");
db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
const handler = wrap(async (event) => {
  const name = event.queryStringParameters.name;
  return { statusCode: 200, body: JSON.stringify(db.prepare("SELECT id FROM items WHERE name = '" + name + "'").all()) };
});
const name = "x' OR '1'='1";
handler({
  version: "2.0", routeKey: "GET /items", rawPath: "/items", rawQueryString: "name=" + encodeURIComponent(name),
  headers: { host: "localhost" }, queryStringParameters: { name },
  requestContext: { http: { method: "GET", path: "/items", protocol: "HTTP/1.1", sourceIp: "127.0.0.1" }, requestId: "r1", routeKey: "GET /items", stage: "$default" },
  isBase64Encoded: false,
}, { getRemainingTimeInMillis: () => 3000 }).then((result) => {
  ${onResult}
});
`;
}
