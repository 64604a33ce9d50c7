import type { RequestContext } from "../context/request-context";
import { contextStorage } from "../context/storage";
import { failOpen } from "../failsafe";
import { agentState } from "../guard/agent-state";
import { protect } from "../index";
import { blockedResult } from "./blocked-result";
import { createEventContext } from "./event-context";
import { flushSecurityEvents } from "./flush";
import { readHttpEvent, type HttpEvent } from "./http-event";
import { runHandler, type LambdaHandler } from "./run-handler";

/** Options of `wrap`. */
export interface WrapOptions {
  /**
   * Maximum wait for security events to be written after the handler settled, in milliseconds.
   * Default 500. The wait also ends 100 ms before the invocation's own time limit.
   */
  readonly flushTimeoutMs?: number;
}

const defaultFlushTimeoutMs = 500;
/** Time left to the runtime after the flush, in milliseconds, so the invocation never times out on it. */
const invocationReserveMs = 100;

/** The Lambda context method used to bound the flush; other fields are passed through untouched. */
interface LambdaContextTime {
  getRemainingTimeInMillis?: () => number;
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

function flushBudget(lambdaContext: unknown, flushTimeoutMs: number): number {
  const remaining = failOpen("lambda.remaining-time", undefined, () => {
    const getRemaining = (lambdaContext as LambdaContextTime | undefined)?.getRemainingTimeInMillis;
    return typeof getRemaining === "function" ? getRemaining.call(lambdaContext) : undefined;
  });
  if (typeof remaining !== "number" || !Number.isFinite(remaining)) return flushTimeoutMs;
  return Math.min(flushTimeoutMs, remaining - invocationReserveMs);
}

async function settle(promise: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Marks the stand-in response as sent, so that forensic snapshots of a block record the time to block. */
function finishResponse(context: RequestContext, outcome: Outcome): void {
  failOpen("lambda.finish", undefined, () => {
    const result = outcome.ok ? (outcome.value as { statusCode?: unknown } | undefined) : undefined;
    const status = result?.statusCode;
    let statusCode = outcome.ok ? 200 : 500;
    if (typeof status === "number") statusCode = status;
    context.res.statusCode = statusCode;
    context.res.emit("finish");
    context.res.emit("close");
  });
}

async function invokeHttp(
  handler: LambdaHandler,
  event: unknown,
  lambdaContext: unknown,
  request: HttpEvent,
  context: RequestContext,
): Promise<Outcome> {
  let outcome = await settle(
    contextStorage.run(context, runHandler, handler, event, lambdaContext),
  );

  // As for an HTTP server: once an operation of the request was blocked, the client gets the
  // block response, whatever the handler returned or threw after catching the error.
  if (context.blockedEventId !== undefined) {
    const result = failOpen("lambda.block-result", undefined, () =>
      blockedResult(request, context),
    );
    if (result !== undefined) outcome = { ok: true, value: result };
  }
  finishResponse(context, outcome);
  return outcome;
}

function createContext(
  event: unknown,
): { request: HttpEvent; context: RequestContext } | undefined {
  // With the agent off (kill switch), invocations run without a context, as HTTP requests do.
  if (agentState()?.config.mode === "off") return undefined;

  return failOpen("lambda.context", undefined, () => {
    const request = readHttpEvent(event);
    return request === undefined ? undefined : { request, context: createEventContext(request) };
  });
}

/**
 * Wraps an AWS Lambda handler, async or callback-style, so that every operation it runs for an
 * HTTP event (API Gateway REST or HTTP API, function URL, ALB) is judged against that event's
 * inputs. A blocked operation turns the invocation's result into a 403 result naming the event id.
 * Other events (SQS, S3, schedules) run without a request context. Security events are written
 * before the returned promise settles. Starts the agent when it is not running yet.
 *
 * The wrapper is always an async function of two parameters, which every Node.js Lambda runtime
 * accepts; a callback-style handler gets its callback from the wrapper.
 */
export function wrap<TEvent = unknown, TResult = unknown>(
  handler: LambdaHandler<TEvent, TResult>,
  options: WrapOptions = {},
): (event: TEvent, context: unknown) => Promise<TResult> {
  if (typeof handler !== "function") {
    throw new TypeError(`wrap(handler) expects the Lambda handler function, got ${typeof handler}`);
  }
  failOpen("lambda.start", undefined, () => protect());
  const flushTimeoutMs = options.flushTimeoutMs ?? defaultFlushTimeoutMs;
  const anyHandler = handler as LambdaHandler;

  return async function rampartLambdaHandler(event: TEvent, lambdaContext: unknown) {
    const http = createContext(event);
    const outcome =
      http === undefined
        ? await settle(runHandler(anyHandler, event, lambdaContext))
        : await invokeHttp(anyHandler, event, lambdaContext, http.request, http.context);

    await flushSecurityEvents(flushBudget(lambdaContext, flushTimeoutMs));
    if (!outcome.ok) throw outcome.error;
    return outcome.value as TResult;
  };
}
