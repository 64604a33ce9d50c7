import { RequestContext } from "../context/request-context";
import { collectEventInputs } from "./event-inputs";
import { parseEventBody } from "./event-body";
import { EventRequest, EventResponse } from "./event-messages";
import type { HttpEvent } from "./http-event";

/**
 * Joins repeated headers the way node:http does for most names, so that code reading
 * `req.headers` sees strings. The inputs keep each value apart.
 */
function joinedHeaders(request: HttpEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of request.headers) {
    if (name !== "cookie") headers[name] = values.join(", ");
  }
  if (request.cookies.length > 0) {
    headers.cookie = request.cookies.map(([name, value]) => `${name}=${value}`).join("; ");
  }
  return headers;
}

/**
 * Creates the request context of a Lambda HTTP event, with stand-ins for the node:http request
 * (method, URL, headers and client address) and response (what the agent writes to it).
 */
export function createEventContext(request: HttpEvent): RequestContext {
  const url = request.rawQuery === "" ? request.path : `${request.path}?${request.rawQuery}`;
  const req = new EventRequest(request.method, url, joinedHeaders(request), request.sourceIp);
  const res = new EventResponse();
  const context = new RequestContext(req, res, (collector) =>
    collectEventInputs(request, collector),
  );

  // The parsed body and the route template take the place a web framework's request object has.
  const body = parseEventBody(request.body, request.headers.get("content-type")?.[0]);
  context.frameworkRequest =
    request.route === undefined ? { body } : { body, routeOptions: { url: request.route } };
  return context;
}
