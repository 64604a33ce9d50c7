import diagnosticsChannel from "node:diagnostics_channel";

import { failOpen } from "../failsafe";
import type { FrameworkRequest } from "../context/request-context";
import { currentContext } from "../context/storage";

interface FastifyInstance {
  addHook(
    name: "onRequest",
    hook: (request: FrameworkRequest, reply: unknown, done: () => void) => void,
  ): void;
}

function attachRequest(request: FrameworkRequest, _reply: unknown, done: () => void): void {
  failOpen("source.fastify", undefined, () => {
    const context = currentContext();
    if (context !== undefined) context.frameworkRequest = request;
  });
  done();
}

function onInitialization(message: unknown): void {
  failOpen("source.fastify", undefined, () => {
    const fastify = (message as { fastify?: FastifyInstance }).fastify;
    fastify?.addHook("onRequest", attachRequest);
  });
}

/**
 * Links each Fastify request object to the request context, so that sinks see Fastify's parsed body
 * and route params. Fastify 4 and 5 announce every new instance on the `fastify.initialization`
 * diagnostics channel, whichever module system loaded them.
 */
export function instrumentFastify(): void {
  diagnosticsChannel.subscribe("fastify.initialization", onInitialization);
}
