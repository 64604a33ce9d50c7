import diagnosticsChannel from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";

import {
  contextOfRequest,
  type RequestContext,
  type RequestMessage,
} from "../context/request-context";
import { parseQueryString } from "../context/query-string";
import { contextStorage, currentContext } from "../context/storage";
import {
  detectPrototypePollution,
  findPollutingQueryKey,
} from "../detectors/prototype-pollution/detect";
import type { Finding } from "../detectors/types";
import type { RampartBlockedError } from "../errors";
import { reportInternalError } from "../failsafe";
import { agentState } from "../guard/agent-state";
import { inspect, isInspecting } from "../guard/guard";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { securityEventChannel } from "../telemetry/channels";
import { countDetection } from "../telemetry/metrics";
import { createSecurityEvent } from "../telemetry/security-event";

/** Sink name of events raised when the response finished, after every part of the request was parsed. */
export const responseFinishSink = "http.ServerResponse.end";

/** Requests already reported, so that each request yields at most one prototype pollution event. */
const reportedContexts = new WeakSet<RequestContext>();

function queryKeyPaths(req: RequestMessage): string[][] {
  const url = req.url ?? "/";
  const questionMark = url.indexOf("?");
  if (questionMark === -1) return [];
  return parseQueryString(url.slice(questionMark + 1)).map((pair) => pair.key);
}

/** Words that every polluting key path contains, decoded or not. */
const pollutingWords = /proto|constructor/i;

/**
 * A percent-encoded ASCII letter (%41 to %7A, with some signs in between). A URL without one decodes
 * to no new letter, so decoding cannot reveal the words above: `%2F` in a path parameter costs no
 * decoding.
 */
const encodedLetter = /%[4-7][0-9a-f]/i;

/**
 * Returns whether the URL could name a polluting key in its query string, in plain or
 * percent-encoded letters. A URL without `%` costs one regular expression test.
 */
function urlMayCarryPollutingKey(url: string): boolean {
  if (pollutingWords.test(url)) return true;
  return url.includes("%") && encodedLetter.test(url) && pollutingWords.test(safeDecode(url));
}

/** True for an object with at least one own key; Express sets `{}` bodies and params on every request. */
function hasOwnKeys(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  // `__proto__` from JSON.parse is an own property that for-in lists; a null-prototype object too.
  return Object.getOwnPropertyNames(value).length > 0;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return unescape(text);
  }
}

/**
 * Finds a polluting key in the query string's key paths, the body and the route params. It walks
 * the parsed objects rather than the request's collected inputs, which cost far more to build.
 * A body and params found clean are not walked again at the next sink.
 */
function findPollution(context: RequestContext): Finding | undefined {
  const parts = context.parsedParts();
  const checked = context.cleanOfPollution;
  if (checked !== undefined && checked.body === parts.body && checked.params === parts.params) {
    return undefined;
  }

  let finding: Finding | undefined;
  if (urlMayCarryPollutingKey(context.req.url ?? "")) {
    finding = findPollutingQueryKey(queryKeyPaths(context.req));
  }
  if (finding === undefined && (hasOwnKeys(parts.body) || hasOwnKeys(parts.params))) {
    finding = detectPrototypePollution([
      { source: "body", path: "body", value: parts.body },
      { source: "params", path: "params", value: parts.params },
    ]);
  }

  if (finding === undefined) context.cleanOfPollution = parts;
  return finding;
}

/**
 * Reports a request whose keys reach a prototype, from inside a sink operation. In block mode for
 * `prototype_pollution` the returned error refuses that operation. Runs at most once per request
 * with a finding; without one it runs again at the next sink, when more parts may be parsed.
 */
export function checkPrototypePollutionAtSink(sink: string): RampartBlockedError | undefined {
  if (!isInspecting("prototype_pollution")) return undefined;

  const context = currentContext();
  if (context === undefined || reportedContexts.has(context)) return undefined;

  const finding = findPollution(context);
  if (finding === undefined) return undefined;
  reportedContexts.add(context);
  return inspect({
    attackType: "prototype_pollution",
    sink,
    operation: finding.input?.path ?? "",
    detect: () => finding,
  });
}

/**
 * Reports a polluting key when the response finished, for requests that reached no sink. The
 * response was sent already, so the event records `monitored` whatever the mode.
 */
function checkFinishedRequest(req: IncomingMessage): void {
  const state = agentState();
  if (state === undefined || !isInspecting("prototype_pollution")) return;

  const context = contextOfRequest(req);
  if (context === undefined || reportedContexts.has(context)) return;

  const finding = findPollution(context);
  if (finding === undefined) return;
  reportedContexts.add(context);

  const detection = {
    attackType: "prototype_pollution" as const,
    sink: responseFinishSink,
    operation: finding.input?.path ?? "",
    finding,
  };
  // This event bypasses the guard, so it counts itself as the guard counts its detections.
  countDetection("prototype_pollution", "monitored");
  contextStorage.run(context, () => {
    securityEventChannel.publish(
      createSecurityEvent(detection, context, state.config.mode, "monitored"),
    );
  });
}

/**
 * Subscribes to Node's `http.server.response.finish` diagnostics channel (Node 18.7 and later),
 * which every node:http and node:https server publishes to, Express and Fastify included.
 */
export const prototypePollutionAtFinish: RuntimeInstrumentation = {
  name: "http.server.response.finish",
  install() {
    if (subscribed) return;
    subscribed = true;
    diagnosticsChannel.subscribe("http.server.response.finish", onResponseFinish);
  },
};

let subscribed = false;

function onResponseFinish(message: unknown): void {
  // A try block rather than failOpen, which would cost a closure on every response.
  try {
    const request = (message as { request?: IncomingMessage }).request;
    if (request !== undefined) checkFinishedRequest(request);
  } catch (error) {
    reportInternalError("source.prototype-pollution", error);
  }
}
