import type { FrameworkRequest } from "../context/request-context";
import { currentContext } from "../context/storage";
import { reportInternalError } from "../failsafe";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { isWrapped, wrapFunction, wrapMethod } from "../instrument/wrap";

/** The members of Hono's HonoRequest (`c.req`) that the agent calls. */
interface HonoRequest {
  routeIndex?: number;
  readonly routePath?: unknown;
  param(): unknown;
}

/** The HonoRequest methods that return a parsed body, and so the body the app works with. */
const bodyMethods = ["json", "text", "parseBody", "formData"] as const;

/** Converts a FormData to a plain object of its text fields. Repeated names give arrays. */
function formDataFields(form: FormData): Record<string, unknown> {
  const fields: Record<string, unknown> = Object.create(null);
  form.forEach((value, name) => {
    if (typeof value !== "string") return;
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[name] = [existing, value];
  });
  return fields;
}

/**
 * A HonoRequest seen as a framework request. Hono parses the body only when the app calls one of
 * its body methods (`c.req.json()`, `c.req.text()`, `c.req.parseBody()`, `c.req.formData()`) or
 * runs a `json` or `form` validator. It caches promises, so the body is recorded here when the
 * app's call resolves or the validator stores its result. Params are those of the route that is
 * running (`routeIndex` moves along the middleware chain). The query is left to the agent, which
 * nests keys the way `qs` does, while `c.req.query()` keeps `a[b]` as a flat key.
 */
class HonoRequestView implements FrameworkRequest {
  body: unknown;
  private paramsOfRoute: unknown;
  private paramsRouteIndex: number | undefined;

  constructor(readonly request: HonoRequest) {}

  get params(): unknown {
    // `param()` builds a new object on each call. Keeping one per route keeps the input cache valid.
    const routeIndex = this.request.routeIndex ?? 0;
    if (this.paramsRouteIndex !== routeIndex) {
      this.paramsOfRoute = this.request.param();
      this.paramsRouteIndex = routeIndex;
    }
    return this.paramsOfRoute;
  }

  get routerPath(): string | undefined {
    try {
      const route = this.request.routePath;
      return typeof route === "string" ? route : undefined;
    } catch {
      // No route matched (a 404), so Hono's getter reads past its match list.
      return undefined;
    }
  }
}

function viewOf(request: unknown): HonoRequestView | undefined {
  const linked = currentContext()?.frameworkRequest;
  return linked instanceof HonoRequestView && linked.request === request ? linked : undefined;
}

type BodyMethod = (this: HonoRequest, ...args: unknown[]) => unknown;

function wrapBodyMethod(original: BodyMethod): BodyMethod {
  return function parsedBody(this: HonoRequest, ...args: unknown[]) {
    const result = original.apply(this, args);
    const view = viewOf(this);
    if (view === undefined || !(result instanceof Promise)) return result;

    // The app awaits this promise, so the body is recorded before the app's code reads it.
    return result.then((value: unknown) => {
      try {
        view.body = value instanceof FormData ? formDataFields(value) : value;
      } catch (error) {
        reportInternalError("source.hono", error, "the parsed body was not recorded");
      }
      return value;
    });
  };
}

/** Validator targets whose validated data is the request body. */
const bodyTargets = new Set(["json", "form"]);

type AddValidatedData = (this: HonoRequest, target: unknown, data: unknown) => unknown;

/**
 * Hono's `validator("form", ...)` parses the form from `c.req.arrayBuffer()`, past the body
 * methods, and stores what the app will read with `c.req.valid("form")` through this method.
 */
function wrapAddValidatedData(original: AddValidatedData): AddValidatedData {
  return function addValidatedData(this: HonoRequest, target: unknown, data: unknown) {
    const view = typeof target === "string" && bodyTargets.has(target) ? viewOf(this) : undefined;
    if (view !== undefined) view.body = data;
    return original.call(this, target, data);
  };
}

const patchedPrototypes = new WeakSet<object>();

function patchRequestPrototype(request: object): void {
  const prototype = Object.getPrototypeOf(request) as Record<string, unknown> | null;
  if (prototype === null || patchedPrototypes.has(prototype)) return;
  patchedPrototypes.add(prototype);
  for (const name of bodyMethods) wrapMethod(prototype, name, wrapBodyMethod);
  wrapMethod(prototype, "addValidatedData", wrapAddValidatedData);
}

/**
 * Marks a HonoRequest that was looked at, so that later reads of `c.req` skip the async context
 * lookup. Hono's own compose reads `c.req` once per handler.
 */
const seenKey = Symbol("rampart.honoRequestSeen");

type SeenRequest = object & { [seenKey]?: true };

/** Links the HonoRequest to the request context of its node:http request, once per request. */
function linkHonoRequest(request: unknown): void {
  if (typeof request !== "object" || request === null) return;
  if ((request as SeenRequest)[seenKey] === true) return;
  (request as SeenRequest)[seenKey] = true;

  const context = currentContext();
  if (context === undefined) return;

  patchRequestPrototype(request);
  context.frameworkRequest = new HonoRequestView(request as HonoRequest);
}

type Getter = (this: unknown) => unknown;

function wrapRequestGetter(original: Getter): Getter {
  return function req(this: unknown) {
    const request = original.call(this);
    try {
      linkHonoRequest(request);
    } catch (error) {
      reportInternalError("source.hono", error, "the request's body and params were not linked");
    }
    return request;
  };
}

/**
 * Hono 4 creates the HonoRequest (`c.req`) lazily in the `req` getter of its Context class, which
 * the package exports. Wrapping that getter links each HonoRequest to the request context, and the
 * first one seen gives the HonoRequest prototype whose body methods are wrapped. The request
 * context comes from the node:http server, so this covers Hono on @hono/node-server.
 */
export const hono: ModuleInstrumentation = {
  name: "hono",
  majorVersions: [4],
  patch(moduleExports) {
    const contextClass = (moduleExports as { Context?: unknown }).Context;
    if (typeof contextClass !== "function") return undefined;

    const prototype = contextClass.prototype as object;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, "req");
    if (descriptor?.get === undefined || isWrapped(descriptor.get)) return undefined;

    Object.defineProperty(prototype, "req", {
      ...descriptor,
      get: wrapFunction(descriptor.get as Getter, wrapRequestGetter),
    });
    return undefined;
  },
};
