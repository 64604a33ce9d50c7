// Operations and request inputs for the detector microbenchmarks. Each case calls one detector the
// way a sink does. "fast" cases have no input that occurs in the operation, so the detector can
// return after its occurrence scan. "full" cases have inputs that occur in the operation, so it
// tokenizes the operation and judges every occurrence. All inputs are benign, so no case reports a
// finding, and cases check that once before they are timed.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import { browserHeaders } from "../browser-request.mjs";

const require = createRequire(import.meta.url);

// The agent's package exports only its public entry points, so the compiled detectors are loaded
// by file path from the built package (`npm run build` first).
const agentDist = join(dirname(require.resolve("rampart/package.json")), "dist");
const detectors = (name) => require(join(agentDist, "detectors", name, "index.js"));

const { detectSqlInjection } = detectors("sql");
const { detectShellInjection } = detectors("shell");
const { detectPathTraversal } = detectors("path");
const { detectCodeInjection } = detectors("code");
const { detectXss } = detectors("html");
const { detectHeaderInjection, detectOpenRedirect } = detectors("headers");
const { AllowList, judgeConnection, targetFromUrl } = detectors("ssrf");
const { detectSerializedFunction } = detectors("deserialization");
const { detectNosqlInjection } = require(join(agentDist, "detectors", "nosql", "detect.js"));
const { noUserOperators } = require(join(agentDist, "detectors", "nosql", "user-operators.js"));
const { RequestContext } = require(join(agentDist, "context", "request-context.js"));

const input = (source, path, value) => ({ source, path, value });

// Ten inputs of an ordinary browser request (headers, cookie, query, path segments), none of which
// occurs in the operations of the fast cases.
const browserInputs = [
  input(
    "headers",
    "headers.user-agent",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  ),
  input("headers", "headers.accept", "application/json, text/plain, */*"),
  input("headers", "headers.accept-language", "en-US,en;q=0.9,de;q=0.8"),
  input("headers", "headers.referer", "http://127.0.0.1:3000/catalog/overview"),
  input("cookies", "cookies.session", "f3a9c2e4b1d84e0c9a7b6d5e4f3a2b1c"),
  input("query", "query.q", "cordless drill"),
  input("query", "query.page", "12"),
  input("query", "query.view", "compact"),
  input("path", "path.0", "catalog"),
  input("path", "path.1", "search"),
];

// --- SQL: a query of about 2 KB --------------------------------------------------------------

// Ten values that a search form sends and the app concatenates into the query as literals,
// numbers, a column name and a sort direction.
const sqlFormInputs = [
  input("query", "query.email", "alice@example.test"),
  input("query", "query.status", "shipped"),
  input("query", "query.category", "power-tools"),
  input("query", "query.city", "Berlin"),
  input("query", "query.from", "2026-01-01"),
  input("query", "query.to", "2026-06-30"),
  input("query", "query.min", "25"),
  input("query", "query.q", "cordless"),
  input("query", "query.sort", "created_at"),
  input("query", "query.order", "DESC"),
];

const sqlColumns = [
  "o.id",
  "o.created_at",
  "o.updated_at",
  "o.status",
  "o.total_amount",
  "o.currency",
  "o.shipping_method",
  "o.tracking_number",
  "c.id AS customer_id",
  "c.first_name",
  "c.last_name",
  "c.email",
  "c.phone",
  "a.street",
  "a.postal_code",
  "a.city",
  "a.country",
  "p.id AS product_id",
  "p.sku",
  "p.title",
  "p.category",
  "p.unit_price",
  "i.quantity",
  "i.discount_percent",
  "i.tax_rate",
  "o.payment_method",
  "o.invoice_number",
  "o.gift_message",
  "c.loyalty_tier",
  "c.marketing_opt_in",
  "a.region",
  "p.weight_grams",
  "p.supplier_id",
  "p.stock_level",
  "k.code AS coupon_code",
  "o.sales_channel",
  "o.device_type",
  "c.date_of_birth",
  "p.brand_name",
  "p.color_name",
  "p.warranty_months",
];

/** Builds a reporting query of about 2 KB; `variant` changes one literal so that texts differ. */
function buildReportQuery(quote, variant = 0) {
  const q = (text) => `${quote}${text}${quote}`;
  const columns = sqlColumns.join(", ");
  return (
    `SELECT ${columns}, COUNT(*) OVER (PARTITION BY c.id) AS orders_of_customer ` +
    `FROM orders o JOIN customers c ON c.id = o.customer_id ` +
    `JOIN addresses a ON a.id = o.shipping_address_id ` +
    `JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id ` +
    `LEFT JOIN coupons k ON k.id = o.coupon_id AND k.valid_until >= o.created_at ` +
    `WHERE c.email = ${q("alice@example.test")} AND o.status = ${q("shipped")} ` +
    `AND p.category = ${q("power-tools")} AND a.city = ${q("Berlin")} ` +
    `AND o.created_at BETWEEN ${q("2026-01-01")} AND ${q("2026-06-30")} ` +
    `AND o.total_amount >= 25 AND (p.title LIKE ${q("%cordless%")} OR p.sku LIKE ${q("%cordless%")}) ` +
    `AND o.deleted_at IS NULL AND c.deleted_at IS NULL AND p.archived = 0 ` +
    `AND i.quantity > 0 AND o.tenant_id = ${1000 + variant} ` +
    `AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.id AND r.state <> ${q("rejected")}) ` +
    `GROUP BY ${columns.replace(/ AS \w+/g, "")} ` +
    `HAVING SUM(i.quantity * p.unit_price) > 10 ` +
    `ORDER BY created_at DESC, o.id DESC LIMIT 50 OFFSET 0`
  );
}

// More distinct texts than the SQL detector's token cache keeps (256 per dialect), so that cycling
// through them lexes every query again.
const uncachedVariantCount = 512;

const sqlDialects = [
  { dialect: "postgresql", quote: "'" },
  { dialect: "mysql", quote: "'" },
  { dialect: "sqlite", quote: "'" },
];

function sqlCases() {
  const cases = [];
  const shortQuery = "SELECT id, name, price FROM products WHERE category = $1 LIMIT 20";

  for (const { dialect, quote } of sqlDialects) {
    const reportQuery = buildReportQuery(quote);
    const variants = Array.from({ length: uncachedVariantCount }, (_, index) =>
      buildReportQuery(quote, index + 1),
    );
    let next = 0;

    cases.push(
      {
        name: `sql ${dialect}: parameterized query, no input occurs`,
        detector: "sql",
        path: "fast",
        operationChars: shortQuery.length,
        inputs: browserInputs.length,
        run: () => detectSqlInjection(shortQuery, dialect, browserInputs),
      },
      {
        name: `sql ${dialect}: 2 KB query, no input occurs`,
        detector: "sql",
        path: "fast",
        operationChars: reportQuery.length,
        inputs: browserInputs.length,
        run: () => detectSqlInjection(reportQuery, dialect, browserInputs),
      },
      {
        name: `sql ${dialect}: 2 KB query, ten inputs occur, same text (tokens cached)`,
        detector: "sql",
        path: "full",
        operationChars: reportQuery.length,
        inputs: sqlFormInputs.length,
        run: () => detectSqlInjection(reportQuery, dialect, sqlFormInputs),
      },
      {
        name: `sql ${dialect}: 2 KB query, ten inputs occur, new text each call`,
        detector: "sql",
        path: "full",
        operationChars: reportQuery.length,
        inputs: sqlFormInputs.length,
        run: () => {
          next = (next + 1) % variants.length;
          return detectSqlInjection(variants[next], dialect, sqlFormInputs);
        },
      },
    );
  }
  return cases;
}

// --- Other sinks ------------------------------------------------------------------------------

const shellInputs = [
  input("query", "query.file", "report-2026.csv"),
  input("query", "query.pattern", "shipped"),
  input("query", "query.lines", "20"),
  input("query", "query.folder", "exports"),
  input("query", "query.user", "alice"),
  input("query", "query.format", "utf-8"),
  input("query", "query.delimiter", "semicolon"),
  input("query", "query.column", "total_amount"),
  input("query", "query.archive", "orders-backup.tar.gz"),
  input("query", "query.level", "9"),
];
const shellFast = "ls -la /srv/app/uploads | head -n 50";
const shellFull =
  "grep -n -i 'shipped' /srv/app/exports/alice/report-2026.csv | head -n 20 && " +
  'iconv -f utf-8 -t ascii "/srv/app/exports/alice/report-2026.csv" > /tmp/out.txt && ' +
  "awk -v column=total_amount -v delimiter=semicolon -f sum.awk /tmp/out.txt && " +
  "tar -czf /srv/app/backups/orders-backup.tar.gz --level=9 /srv/app/exports";

const pathInputs = [
  input("query", "query.user", "alice"),
  input("query", "query.year", "2026"),
  input("query", "query.file", "report-final.pdf"),
  ...browserInputs.slice(0, 7),
];
const pathFast = "/srv/app/files/readme.txt";
const pathFull = "/srv/app/uploads/alice/2026/report-final.pdf";

const codeInputs = [
  input("query", "query.a", "19.9"),
  input("query", "query.b", "1.19"),
  input("query", "query.c", "4.95"),
  input("query", "query.d", "12"),
  input("query", "query.e", "0.85"),
  input("query", "query.f", "100"),
  input("query", "query.g", "3.5"),
  input("query", "query.h", "250"),
  input("query", "query.i", "0.07"),
  input("query", "query.j", "42"),
];
const codeFast = "return 2 * (3 + 4)";
const codeFull =
  "return ((19.9 * 1.19) + 4.95) * 12 * 0.85 + Math.min(100, 3.5 * 250) - 0.07 * 42 + " +
  "Math.max(19.9, 4.95) / 12";

const htmlRows = Array.from(
  { length: 30 },
  (_, index) =>
    `<tr class="row"><td>${index + 1}</td><td><a href="/products/${index + 1}">Product ${index + 1}</a></td><td>9.99</td></tr>`,
).join("\n");
const htmlPage = (body) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Search</title>` +
  `<link rel="stylesheet" href="/static/site.css"></head><body><main>${body}` +
  `<table>${htmlRows}</table></main><script src="/static/site.js"></script></body></html>`;
const htmlInputs = [
  input("query", "query.q", "cordless drill"),
  input("query", "query.category", "power tools"),
  input("query", "query.brand", "Makita"),
  input("query", "query.color", "blue"),
  input("query", "query.min", "25"),
  input("query", "query.max", "250"),
  input("query", "query.sort", "price"),
  input("query", "query.city", "Berlin"),
  input("query", "query.store", "Mitte"),
  input("query", "query.name", "Alice"),
];
const htmlFast = htmlPage("<h1>Search results</h1>");
const htmlFull = htmlPage(
  `<h1>Results for cordless drill</h1><p>Category power tools, brand Makita, color blue, ` +
    `price 25 to 250, sorted by price.</p><p>Store Mitte in Berlin. Hello, Alice.</p>` +
    `<input name="q" value="cordless drill">`,
);

const redirectPolicy = { requestHost: "127.0.0.1:3000", allowedHosts: ["sso.example.test"] };
const redirectInputs = [input("query", "query.next", "/account/orders?page=2"), ...browserInputs];

const allowList = new AllowList([]);
// Address strings only: no request is sent anywhere.
const publicConnection = {
  origin: targetFromUrl("https://api.example.test/v1/rates?currency=EUR"),
  hostname: "api.example.test",
  redirected: false,
  addresses: ["93.184.215.14"],
};
const loopbackConnection = {
  origin: targetFromUrl("http://127.0.0.1:3000/catalog/search?q=cordless+drill&page=12"),
  hostname: "127.0.0.1",
  redirected: false,
  addresses: ["127.0.0.1"],
};

const serializedPreferences = JSON.stringify({
  theme: "dark",
  items: [1, 2, 3],
  layout: { sidebar: true },
});
const mongoFilter = [
  {
    role: "filter",
    value: { name: "cordless drill", category: "tools", price: { $lte: 250 }, archived: false },
  },
];

function sinkCases() {
  return [
    {
      name: "shell: command line, no input occurs",
      detector: "shell",
      path: "fast",
      operationChars: shellFast.length,
      inputs: browserInputs.length,
      run: () => detectShellInjection(shellFast, browserInputs),
    },
    {
      name: "shell: command line, ten inputs occur",
      detector: "shell",
      path: "full",
      operationChars: shellFull.length,
      inputs: shellInputs.length,
      run: () => detectShellInjection(shellFull, shellInputs),
    },
    {
      name: "path: file path, no input occurs",
      detector: "path",
      path: "fast",
      operationChars: pathFast.length,
      inputs: browserInputs.length,
      run: () => detectPathTraversal(pathFast, browserInputs),
    },
    {
      name: "path: file path, three inputs occur",
      detector: "path",
      path: "full",
      operationChars: pathFull.length,
      inputs: pathInputs.length,
      run: () => detectPathTraversal(pathFull, pathInputs),
    },
    {
      name: "code: expression, no input occurs",
      detector: "code",
      path: "fast",
      operationChars: codeFast.length,
      inputs: browserInputs.length,
      run: () => detectCodeInjection(codeFast, browserInputs),
    },
    {
      name: "code: expression, ten inputs occur",
      detector: "code",
      path: "full",
      operationChars: codeFull.length,
      inputs: codeInputs.length,
      run: () => detectCodeInjection(codeFull, codeInputs),
    },
    {
      name: "xss: HTML page, no input occurs",
      detector: "xss",
      path: "fast",
      operationChars: htmlFast.length,
      inputs: htmlInputs.length,
      run: () => detectXss(htmlFast, htmlInputs),
    },
    {
      name: "xss: HTML page, ten inputs reflected as text",
      detector: "xss",
      path: "full",
      operationChars: htmlFull.length,
      inputs: htmlInputs.length,
      run: () => detectXss(htmlFull, htmlInputs),
    },
    {
      name: "header: value without line break",
      detector: "header",
      path: "fast",
      operationChars: "application/json; charset=utf-8".length,
      inputs: browserInputs.length,
      run: () =>
        detectHeaderInjection("content-type", "application/json; charset=utf-8", browserInputs),
    },
    {
      name: "redirect: relative Location",
      detector: "redirect",
      path: "fast",
      operationChars: "/account/orders?page=2".length,
      inputs: redirectInputs.length,
      run: () => detectOpenRedirect("/account/orders?page=2", redirectPolicy, redirectInputs),
    },
    {
      name: "redirect: absolute Location to an allowed host",
      detector: "redirect",
      path: "full",
      operationChars: "https://sso.example.test/login?next=/account/orders?page=2".length,
      inputs: redirectInputs.length,
      run: () =>
        detectOpenRedirect(
          "https://sso.example.test/login?next=/account/orders?page=2",
          redirectPolicy,
          redirectInputs,
        ),
    },
    {
      name: "ssrf: connection to a public address",
      detector: "ssrf",
      path: "fast",
      operationChars: publicConnection.origin.text.length,
      inputs: browserInputs.length,
      run: () => judgeConnection(publicConnection, browserInputs, allowList),
    },
    {
      name: "ssrf: connection to loopback, inputs in the path only",
      detector: "ssrf",
      path: "full",
      operationChars: loopbackConnection.origin.text.length,
      inputs: browserInputs.length,
      run: () => judgeConnection(loopbackConnection, browserInputs, allowList),
    },
    {
      name: "deserialization: JSON without function marker",
      detector: "deserialization",
      path: "fast",
      operationChars: serializedPreferences.length,
      inputs: browserInputs.length,
      run: () => detectSerializedFunction(serializedPreferences, browserInputs),
    },
    {
      name: "nosql: filter, no user operators",
      detector: "nosql",
      path: "fast",
      operationChars: JSON.stringify(mongoFilter[0].value).length,
      inputs: browserInputs.length,
      run: () => detectNosqlInjection(mongoFilter, noUserOperators, browserInputs),
    },
  ];
}

// --- Input collection: what a sink's first inspection in a request costs before any detector --

// A browser's API request: 15 headers with a bearer JSON Web Token and three cookies, a query of
// three parameters and four path segments, which the collector turns into 41 inputs.
const browserRequestHeaders = {
  host: "shop.example.test",
  connection: "keep-alive",
  ...browserHeaders,
};
const browserUrl = "/api/products/42/reviews?sort=recent&page=2&filter[rating]=5";

// Each call collects a new request's inputs, as the first sink of every request does. The URL is a
// new string per call, so the query and path parts split from it are new strings too. The header
// values are the same strings on every call, as a client sends them on each request, though a
// server parses them into new strings.
let requestNumber = 0;
function collectBrowserRequest() {
  requestNumber = (requestNumber + 1) % 1000;
  const request = {
    url: browserUrl.replace("page=2", `page=${requestNumber}`),
    method: "GET",
    httpVersion: "1.1",
    headers: { ...browserRequestHeaders },
    socket: { remoteAddress: "127.0.0.1" },
  };
  const inputs = new RequestContext(request, {}).inputs();
  // The page number may equal another value of the request, which the collector keeps once.
  if (inputs.length < 40)
    throw new Error(`Collected ${inputs.length} inputs, expected at least 40`);
}

function inputCases() {
  return [
    {
      name: "inputs: browser request, 41 inputs collected",
      detector: "inputs",
      path: "full",
      operationChars:
        browserUrl.length +
        Object.values(browserRequestHeaders).reduce((sum, value) => sum + value.length, 0),
      inputs: 41,
      run: collectBrowserRequest,
    },
  ];
}

/** Returns every case, SQL first, input collection last. */
export function detectorCases() {
  return [...sqlCases(), ...sinkCases(), ...inputCases()];
}
