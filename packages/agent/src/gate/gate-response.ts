import type { RequestContext, ResponseMessage } from "../context/request-context";
import { failOpen } from "../failsafe";
import { renderBlockPage } from "../response/block-page";

/** A response the gate sends instead of the app's. */
export interface GateResponse {
  readonly status: 403 | 429;
  /** Seconds for the Retry-After header of a 429. */
  readonly retryAfterSeconds?: number;
  readonly eventId: string;
}

function headersFor(
  response: GateResponse,
  contentType: string,
  body: string,
): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  };
  if (response.retryAfterSeconds !== undefined)
    headers["retry-after"] = Math.max(1, Math.ceil(response.retryAfterSeconds));
  return headers;
}

function bodyFor(
  context: RequestContext,
  response: GateResponse,
): { contentType: string; body: string } {
  if (response.status === 403) return renderBlockPage(context.req, response.eventId);

  const body = JSON.stringify({
    error: "Too Many Requests",
    message:
      "The request rate limit was exceeded; retry after the number of seconds in Retry-After.",
    event_id: response.eventId,
  });
  return { contentType: "application/json; charset=utf-8", body: `${body}\n` };
}

type WriteHead = (
  this: ResponseMessage,
  status: number,
  headers: Record<string, string | number>,
) => unknown;
type End = (this: ResponseMessage, body?: string) => unknown;

function write(
  context: RequestContext,
  response: GateResponse,
  writeHead: WriteHead,
  end: End,
): void {
  const { res } = context;
  const page = bodyFor(context, response);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  writeHead.call(res, response.status, headersFor(response, page.contentType, page.body));
  end.call(res, page.body);
}

/** Sends the gate's response to a request that the app has not received. */
export function sendGateResponse(context: RequestContext, response: GateResponse): void {
  context.blockedEventId ??= response.eventId;
  const { res } = context;
  if (res.headersSent) return;
  write(context, response, res.writeHead as WriteHead, res.end as End);
}

/**
 * Replaces the response of a request that the app is already handling (a user or account
 * throttled after the request started): whatever the app writes first is replaced by this
 * response. Headers the app set, session cookies included, are dropped.
 */
export function armGateResponse(context: RequestContext, response: GateResponse): void {
  if (context.blockedEventId !== undefined) return;
  context.blockedEventId = response.eventId;

  const { res } = context;
  if (res.headersSent) return;

  const writeHead = res.writeHead as WriteHead;
  const end = res.end as End;
  let sent = false;
  const sendOnce = () => {
    if (sent) return;
    sent = true;
    failOpen("gate.response", undefined, () => write(context, response, writeHead, end));
  };
  const callbackOf = (args: unknown[]) =>
    args.find((arg) => typeof arg === "function") as (() => void) | undefined;

  // Instance properties shadow the prototype (and the framework's) methods for this response only.
  res.writeHead = function writeHeadReplaced() {
    sendOnce();
    return res;
  } as ResponseMessage["writeHead"];
  res.write = function writeReplaced(...args: unknown[]) {
    sendOnce();
    const callback = callbackOf(args);
    if (callback !== undefined) process.nextTick(callback);
    return true;
  } as ResponseMessage["write"];
  res.end = function endReplaced(...args: unknown[]) {
    sendOnce();
    const callback = callbackOf(args);
    if (callback !== undefined) process.nextTick(callback);
    return res;
  } as ResponseMessage["end"];
}
