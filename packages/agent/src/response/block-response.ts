import type { RequestContext, ResponseMessage } from "../context/request-context";
import { failOpen } from "../failsafe";
import { log } from "../log";
import { agentState } from "../guard/agent-state";
import { renderBlockPage, renderPolicyBlockPage, type BlockPage } from "./block-page";
import { armStreamBlock } from "./stream-block";
import { StreamResponse } from "./stream-response";

const contextsByError = new WeakMap<Error, RequestContext>();

/** Links a blocked-operation error to its request, so that the agent can still send 403 when the app leaves the error unhandled. */
export function rememberBlockedContext(error: Error, context: RequestContext): void {
  contextsByError.set(error, context);
}

type WriteHead = (
  this: ResponseMessage,
  status: number,
  headers: Record<string, string | number>,
) => unknown;
type Write = (this: ResponseMessage, body: string) => unknown;
type End = (this: ResponseMessage) => unknown;

/** Status and body of the block response, from the policy's `blockResponse` or the built-in page. */
export function blockResponseOf(context: RequestContext): { status: number; page: BlockPage } {
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
  return { status: settings?.status ?? 403, page };
}

/**
 * Sends the block page through the response's original methods. The body goes through `write`
 * rather than `end(body)` because Http2ServerResponse's `end(body)` calls `this.write`, which is
 * the dropping stand-in by then.
 */
function sendBlockPage(
  context: RequestContext,
  res: ResponseMessage,
  methods: { writeHead: WriteHead; write: Write; end: End },
): void {
  const { status, page } = blockResponseOf(context);
  for (const name of res.getHeaderNames()) res.removeHeader(name);

  methods.writeHead.call(res, status, {
    "content-type": page.contentType,
    "content-length": Buffer.byteLength(page.body),
    "cache-control": "no-store",
  });
  methods.write.call(res, page.body);
  methods.end.call(res);
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

  // A raw HTTP/2 stream responds through its own `respond`, which the app calls directly.
  if (res instanceof StreamResponse) {
    armStreamBlock(context, res.stream);
    return;
  }

  const methods = {
    writeHead: res.writeHead as WriteHead,
    write: res.write as Write,
    end: res.end as End,
  };
  let sent = false;

  const sendOnce = () => {
    if (sent) return;
    sent = true;
    failOpen("response.block", undefined, () => sendBlockPage(context, res, methods));
  };

  // Instance properties shadow the prototype (and Express's) methods for this response only.
  res.writeHead = function writeHeadBlocked() {
    sendOnce();
    return res;
  } as ResponseMessage["writeHead"];
  res.write = function writeBlocked(...args: unknown[]) {
    sendOnce();
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback !== undefined) process.nextTick(callback);
    return true;
  } as ResponseMessage["write"];
  res.end = function endBlocked(...args: unknown[]) {
    sendOnce();
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback !== undefined) process.nextTick(callback);
    return res;
  } as ResponseMessage["end"];
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
    "the app left a blocked operation's error unhandled; the agent sent 403 itself",
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
