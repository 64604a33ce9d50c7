import diagnosticsChannel from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";

import { contextOfRequest, type RequestContext } from "../context/request-context";
import { parseQueryString } from "../context/query-string";
import { contextStorage } from "../context/storage";
import {
  detectPrototypePollution,
  findPollutingQueryKey,
} from "../detectors/prototype-pollution/detect";
import type { Finding, UserInput } from "../detectors/types";
import type { RampartBlockedError } from "../errors";
import { failOpen } from "../failsafe";
import { agentState } from "../guard/agent-state";
import { inspect, isInspecting } from "../guard/guard";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { securityEventChannel } from "../telemetry/channels";
import { createSecurityEvent } from "../telemetry/security-event";

/** Sink name of events raised when the response finished, after every part of the request was parsed. */
export const responseFinishSink = "http.ServerResponse.end";

/** Requests already reported, so that each request yields at most one prototype pollution event. */
const reportedContexts = new WeakSet<RequestContext>();

/** Returns whether an input could be a polluting key; allocation-free, so clean requests cost one loop. */
function mayCarryPollutingKey(inputs: readonly UserInput[]): boolean {
  for (const input of inputs) {
    if (input.value === "__proto__" || input.value === "prototype") return true;
  }
  return false;
}

function queryKeyPaths(req: IncomingMessage): string[][] {
  const url = req.url ?? "/";
  const questionMark = url.indexOf("?");
  if (questionMark === -1) return [];
  return parseQueryString(url.slice(questionMark + 1)).map((pair) => pair.key);
}

function findPollution(context: RequestContext): Finding | undefined {
  if (!mayCarryPollutingKey(context.inputs())) return undefined;

  return (
    findPollutingQueryKey(queryKeyPaths(context.req)) ??
    detectPrototypePollution(context.structuredInputs().filter((part) => part.source !== "query"))
  );
}

/**
 * Reports a request whose keys reach a prototype, from inside a sink operation. In block mode for
 * `prototype_pollution` the returned error refuses that operation. Runs at most once per request
 * with a finding; without one it runs again at the next sink, when more parts may be parsed.
 */
export function checkPrototypePollutionAtSink(sink: string): RampartBlockedError | undefined {
  if (!isInspecting("prototype_pollution")) return undefined;

  const context = contextStorage.getStore();
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
  failOpen("source.prototype-pollution", undefined, () => {
    const request = (message as { request?: IncomingMessage }).request;
    if (request !== undefined) checkFinishedRequest(request);
  });
}
