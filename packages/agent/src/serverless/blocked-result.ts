import type http from "node:http";

import type { RequestContext } from "../context/request-context";
import { agentState } from "../guard/agent-state";
import { renderBlockPage, renderPolicyBlockPage } from "../response/block-page";
import type { HttpEvent } from "./http-event";

/** The result a Lambda function returns to API Gateway or an ALB for an HTTP request. */
export interface HttpResult {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

/**
 * Builds the result that replaces the handler's own for a blocked request: status 403 (or the
 * policy's `blockResponse.status`) and the same JSON or HTML body naming the event id that an
 * HTTP server's client gets, in the shape the event's integration expects.
 */
export function blockedResult(request: HttpEvent, context: RequestContext): HttpResult {
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
  const statusCode = settings?.status ?? 403;
  const headers = { "content-type": page.contentType, "cache-control": "no-store" };

  if (request.kind !== "alb") {
    return { statusCode, headers, body: page.body, isBase64Encoded: false };
  }

  // A target group with multi-value headers turned on accepts only `multiValueHeaders`.
  // Required here, for ALB results only, so that a function that loads no HTTP module need not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { STATUS_CODES } = require("node:http") as typeof http;
  const statusDescription = `${statusCode} ${STATUS_CODES[statusCode] ?? ""}`.trim();
  if (!request.multiValue) {
    return { statusCode, statusDescription, headers, body: page.body, isBase64Encoded: false };
  }
  const multiValueHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, [value]]),
  );
  return {
    statusCode,
    statusDescription,
    multiValueHeaders,
    body: page.body,
    isBase64Encoded: false,
  };
}
