import { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

import { RequestContext } from "../context/request-context";
import { collectEventInputs } from "./event-inputs";
import { parseEventBody } from "./event-body";
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
 * Creates the request context of a Lambda HTTP event. The agent's hooks read the request through
 * node:http objects, so the context gets an IncomingMessage and a ServerResponse that no socket
 * backs: the message carries the method, URL, headers and client address, and the response only
 * records what the agent writes to it.
 */
export function createEventContext(request: HttpEvent): RequestContext {
  // Only the fields that the agent reads from a request's socket.
  const socket = { remoteAddress: request.sourceIp } as unknown as Socket;
  const req = new IncomingMessage(socket);
  req.method = request.method;
  req.url = request.rawQuery === "" ? request.path : `${request.path}?${request.rawQuery}`;
  req.headers = joinedHeaders(request);

  const res = new ServerResponse(req);
  const context = new RequestContext(req, res, (collector) =>
    collectEventInputs(request, collector),
  );

  // The parsed body and the route template take the place a web framework's request object has.
  const body = parseEventBody(request.body, request.headers.get("content-type")?.[0]);
  context.frameworkRequest =
    request.route === undefined ? { body } : { body, routeOptions: { url: request.route } };
  return context;
}
