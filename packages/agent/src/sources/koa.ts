import type { IncomingMessage } from "node:http";

import type { FrameworkRequest } from "../context/request-context";
import { contextOfRequest } from "../context/request-context";
import { reportInternalError } from "../failsafe";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapFunction } from "../instrument/wrap";

/** The fields of a Koa context that the agent reads. Body parsers and routers set them. */
interface KoaContext {
  readonly req?: unknown;
  readonly request?: { readonly body?: unknown };
  readonly params?: unknown;
  /** Route template that @koa/router matched, such as `/items/:id`. */
  readonly _matchedRoute?: unknown;
}

/**
 * A Koa context seen as a framework request: koa-bodyparser and @koa/bodyparser put the parsed
 * body on `ctx.request.body`, @koa/router puts route params on `ctx.params`. Both are read when a
 * sink requests the inputs, because they are set after the context was linked. The query is left
 * to the agent, which nests keys the way `qs` does, while Koa's own `ctx.query` keeps `a[b]` as a
 * flat key.
 */
class KoaRequestView implements FrameworkRequest {
  constructor(readonly ctx: KoaContext) {}

  get body(): unknown {
    return this.ctx.request?.body;
  }

  get params(): unknown {
    return this.ctx.params;
  }

  get routerPath(): string | undefined {
    const route = this.ctx._matchedRoute;
    return typeof route === "string" ? route : undefined;
  }
}

/** Links a Koa context to the request context of its node:http request, once per Koa context. */
function linkKoaContext(candidate: unknown): void {
  if (typeof candidate !== "object" || candidate === null) return;
  const ctx = candidate as KoaContext;
  if (typeof ctx.req !== "object" || ctx.req === null || typeof ctx.request !== "object") return;

  const context = contextOfRequest(ctx.req as IncomingMessage);
  if (context === undefined) return;

  const linked = context.frameworkRequest;
  if (linked instanceof KoaRequestView && linked.ctx === ctx) return;
  context.frameworkRequest = new KoaRequestView(ctx);
}

type ComposedMiddleware = (this: unknown, context: unknown, next?: unknown) => unknown;
type Compose = (this: unknown, middleware: unknown) => ComposedMiddleware;

function wrapCompose(original: Compose): Compose {
  return function compose(this: unknown, middleware: unknown): ComposedMiddleware {
    const composed = original.call(this, middleware);
    if (typeof composed !== "function") return composed;

    return function composedMiddleware(this: unknown, context: unknown, next?: unknown) {
      try {
        linkKoaContext(context);
      } catch (error) {
        reportInternalError("source.koa", error, "the request's body and params were not linked");
      }
      return composed.call(this, context, next);
    };
  };
}

/**
 * Koa 2 and 3 run every request through a function built by koa-compose (`fnMiddleware(ctx)`), and
 * @koa/router runs each matched route's stack through another. Wrapping koa-compose links each
 * Koa context to the request context however Koa itself was loaded: under another name (an npm
 * alias such as `koa2`), or as an ES module, whose CommonJS core still requires koa-compose.
 * NOTE: an app that passes its own `compose` option to Koa 3 is not linked.
 */
export const koaCompose: ModuleInstrumentation = {
  name: "koa-compose",
  majorVersions: [4],
  patch(moduleExports) {
    if (typeof moduleExports !== "function") return undefined;
    return wrapFunction(moduleExports as Compose, wrapCompose);
  },
};
