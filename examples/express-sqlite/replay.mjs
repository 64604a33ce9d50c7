// Loads requests.json, sends each request and recognizes Rampart's block responses.

import { readFile } from "node:fs/promises";

const kinds = ["benign", "attack"];
// What the agent does with an attack under the demo's settings: attack types that are monitored
// by default are logged and let through.
const expectations = ["blocked", "monitored"];
const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Reads and validates the request list; throws with the offending entry on a malformed one. */
/**
 * True when the request applies to the running Node.js: a request with `beforeNode` only to
 * majors below it, for attacks that newer Node.js versions reject on their own.
 */
export function appliesToThisNode(request) {
  const major = Number(process.versions.node.split(".")[0]);
  return request.beforeNode === undefined || major < request.beforeNode;
}

export async function loadRequests(file) {
  const { requests } = JSON.parse(await readFile(file, "utf8"));
  if (!Array.isArray(requests) || requests.length === 0) {
    throw new Error(`${file}: expected a non-empty "requests" array`);
  }

  const ids = new Set();
  for (const request of requests) {
    const problem = findProblem(request, ids);
    if (problem) throw new Error(`${file}: invalid request ${JSON.stringify(request)}: ${problem}`);
    ids.add(request.id);
  }
  return requests;
}

function findProblem(request, ids) {
  if (typeof request.id !== "string" || ids.has(request.id)) return "missing or duplicate id";
  if (!kinds.includes(request.kind)) return `kind must be one of ${kinds.join(", ")}`;
  if (request.kind === "attack" && typeof request.class !== "string")
    return "an attack needs a class";
  if (request.expect !== undefined && !expectations.includes(request.expect))
    return `expect must be one of ${expectations.join(", ")}`;
  if (request.expect !== undefined && request.kind !== "attack") return "only attacks have expect";
  if (request.status !== undefined && request.kind !== "benign")
    return "only benign requests have status";
  if (request.beforeNode !== undefined && !Number.isInteger(request.beforeNode))
    return "beforeNode must be a Node.js major version";
  if (!["GET", "POST"].includes(request.method)) return "method must be GET or POST";
  if (typeof request.path !== "string" || !request.path.startsWith("/"))
    return "path must start with /";

  for (const [, name] of request.path.matchAll(/\{(\w+)\}/g)) {
    if (typeof request.params?.[name] !== "string") return `missing params.${name}`;
  }
  if (request.json !== undefined && request.form !== undefined) return "use json or form, not both";
  return null;
}

/** Builds the URL with path params and query values percent-encoded. */
export function buildUrl(baseUrl, request) {
  const path = request.path.replace(/\{(\w+)\}/g, (_match, name) =>
    encodeURIComponent(request.params[name]),
  );
  const query = Object.entries(request.query ?? {})
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join("&");
  return baseUrl + path + (query === "" ? "" : `?${query}`);
}

/** Request id that the demo sends with a request, so that its events can be found in the log. */
export function requestIdOf(request) {
  return `demo-${request.id}`;
}

/** Sends one request and returns its status, content type and body text. */
export async function send(baseUrl, request, timeoutMs) {
  const headers = { "x-request-id": requestIdOf(request), ...request.headers };
  let body;
  if (request.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(request.form).toString();
  }

  const url = buildUrl(baseUrl, request);
  const response = await fetch(url, {
    method: request.method,
    headers,
    body,
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    url,
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

/**
 * Returns `{ eventId }` when the response is Rampart's block page: status 403 with the JSON body
 * `{"error":"Forbidden", "event_id": ...}`, or an HTML page for clients that prefer HTML (its
 * event id is taken from the first UUID in the page, if any). Returns null otherwise.
 */
export function parseBlock(response) {
  if (response.status !== 403) return null;

  if (response.contentType.includes("text/html")) {
    return { eventId: uuidPattern.exec(response.text)?.[0] ?? null };
  }

  try {
    const body = JSON.parse(response.text);
    if (body.error === "Forbidden" && typeof body.event_id === "string") {
      return { eventId: body.event_id };
    }
  } catch {
    // Not JSON, so not Rampart's JSON block body.
  }
  return null;
}
