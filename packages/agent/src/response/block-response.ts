import type { ServerResponse } from "node:http";

import type { RequestContext } from "../context/request-context";
import { failOpen } from "../failsafe";
import { log } from "../log";
import { agentState } from "../guard/agent-state";
import { renderBlockPage, renderPolicyBlockPage } from "./block-page";

const contextsByError = new WeakMap<Error, RequestContext>();

/** Links a blocked-operation error to its request, so that the agent can still send 403 when the app leaves the error unhandled. */
export function rememberBlockedContext(error: Error, context: RequestContext): void {
  contextsByError.set(error, context);
}

type WriteHead = (
  this: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
) => unknown;
type End = (this: ServerResponse, body: string) => unknown;

function sendBlockPage(
  context: RequestContext,
  res: ServerResponse,
  writeHead: WriteHead,
  end: End,
): void {
  const settings = agentState()?.policy?.blockResponse;
  const eventId = context.blockedEventId ?? "unknown";
  const page =
    settings === undefined
      ? renderBlockPage(context.req, eventId)
      : renderPolicyBlockPage(
          context.req,
          { event_id: eventId, request_id: context.requestId() },
          settings,
        );
  for (const name of res.getHeaderNames()) res.removeHeader(name);

  writeHead.call(res, settings?.status ?? 403, {
    "content-type": page.contentType,
    "content-length": Buffer.byteLength(page.body),
    "cache-control": "no-store",
  });
  end.call(res, page.body);
}

/**
 * Makes the request's next response a 403 naming the event id. The app keeps running its own error
 * handling: whatever it then writes (a 500 page, or even a 200) is replaced by the block page,
 * which is sent the first time the app writes. Once the response has started nothing can be
 * replaced, so the block only stops the operation.
 */
export function armBlockResponse(context: RequestContext, eventId: string): void {
  if (context.blockedEventId !== undefined) return;
  context.blockedEventId = eventId;

  const { res } = context;
  if (res.headersSent) {
    log.warn(
      { event_id: eventId },
      "operation blocked after the response started; the client gets the app's response",
    );
    return;
  }

  const writeHead = res.writeHead as WriteHead;
  const end = res.end as End;
  let sent = false;

  const sendOnce = () => {
    if (sent) return;
    sent = true;
    failOpen("response.block", undefined, () => sendBlockPage(context, res, writeHead, end));
  };

  // Instance properties shadow the prototype (and Express's) methods for this response only.
  res.writeHead = function writeHeadBlocked() {
    sendOnce();
    return res;
  } as ServerResponse["writeHead"];
  res.write = function writeBlocked(...args: unknown[]) {
    sendOnce();
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback !== undefined) process.nextTick(callback);
    return true;
  } as ServerResponse["write"];
  res.end = function endBlocked(...args: unknown[]) {
    sendOnce();
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback !== undefined) process.nextTick(callback);
    return res;
  } as ServerResponse["end"];
}

/** Returns the `--unhandled-rejections` mode from the command line or NODE_OPTIONS (`throw` is Node's default). */
function unhandledRejectionsMode(): string {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  const flag = flags.find((arg) => arg.startsWith("--unhandled-rejections="));
  return flag?.split("=")[1] ?? "throw";
}

/** Sends the block page for a request whose blocked-operation error the app did not handle. */
function answerUnhandled(context: RequestContext): void {
  log.warn(
    { event_id: context.blockedEventId, path: (context.req.url ?? "").split("?", 1)[0] },
    "the app left a blocked operation's error unhandled; the agent answered 403 itself",
  );
  context.res.end();
}

function blockedContextOf(error: unknown): RequestContext | undefined {
  return error instanceof Error ? contextsByError.get(error) : undefined;
}

/** Keeps an unhandled rejection of a blocked operation from crashing the process. */
function onUnhandledRejection(reason: unknown): void {
  const context = blockedContextOf(reason);
  if (context !== undefined) {
    answerUnhandled(context);
    return;
  }

  // Not ours. With only this listener installed, Node would otherwise have raised the rejection
  // as an uncaught exception (the default `throw` mode), so do the same.
  const onlyListener = process.listenerCount("unhandledRejection") === 1;
  if (onlyListener && unhandledRejectionsMode() === "throw") throw reason;
}

/**
 * Keeps a blocked operation's error thrown where nothing catches it (a synchronous driver called
 * in a timer callback) from crashing the process. Any other error keeps Node's default: when no
 * other listener exists, this one steps aside and throws it again, so Node prints it and exits 1.
 */
function onUncaughtException(error: unknown): void {
  const context = blockedContextOf(error);
  if (context !== undefined) {
    answerUnhandled(context);
    return;
  }
  if (process.listenerCount("uncaughtException") > 1) return;

  process.removeListener("uncaughtException", onUncaughtException);
  process.nextTick(() => {
    throw error;
  });
}

/** Installs the handlers for unhandled blocked operations once per process. */
export function handleUnhandledBlocks(): void {
  const marker = Symbol.for("rampart.unhandledBlockHandlers");
  const registry = process as NodeJS.Process & { [marker]?: boolean };
  if (registry[marker] === true) return;
  registry[marker] = true;
  process.on("unhandledRejection", onUnhandledRejection);
  process.on("uncaughtException", onUncaughtException);
}
