import type { RequestContext } from "../context/request-context";
import { compileMethodMatcher, compilePathMatcher } from "./route-pattern";
import type { LoginRouteSettings, LoginThrottlingSettings, ThresholdSettings } from "./settings";

/** Account names longer than this, in characters, are cut before they become part of a store key. */
const maxAccountLength = 256;

/** A compiled threshold, in milliseconds. */
export interface Threshold {
  readonly failures: number;
  readonly windowMs: number;
  readonly blockMs: number;
}

interface LoginRoute {
  readonly matches: (method: string | undefined, path: string) => boolean;
  readonly accountPath: readonly string[] | undefined;
  readonly description: string;
}

function compileThreshold(settings: ThresholdSettings | undefined): Threshold | undefined {
  if (settings === undefined) return undefined;
  const windowMs = settings.windowSeconds * 1000;
  return {
    failures: settings.failures,
    windowMs,
    blockMs: (settings.blockSeconds ?? settings.windowSeconds) * 1000,
  };
}

function compileRoute(settings: LoginRouteSettings): LoginRoute {
  const matchesPath = compilePathMatcher(settings.route);
  const matchesMethod = compileMethodMatcher(settings.method, "POST");
  return {
    matches: (method, path) => matchesMethod(method) && matchesPath(path),
    accountPath: settings.accountField?.split("."),
    description: `${(settings.method ?? "POST").toUpperCase()} ${settings.route}`,
  };
}

/** Compiled `loginThrottling` settings. */
export interface LoginThrottling {
  readonly failureStatuses: ReadonlySet<number>;
  readonly perIp: Threshold | undefined;
  readonly perAccount: Threshold | undefined;
  /** Returns the login route that the request targets, or undefined. */
  routeFor(method: string | undefined, path: string): LoginRoute | undefined;
}

export type { LoginRoute };

export function compileLoginThrottling(
  settings: LoginThrottlingSettings | undefined,
): LoginThrottling | undefined {
  if (settings === undefined || settings.routes.length === 0) return undefined;

  const routes = settings.routes.map(compileRoute);
  return {
    failureStatuses: new Set(settings.failureStatuses ?? [401, 403]),
    perIp: compileThreshold(settings.perIp),
    perAccount: compileThreshold(settings.perAccount),
    routeFor: (method, path) => routes.find((route) => route.matches(method, path)),
  };
}

/**
 * Returns the account named in the parsed body (Express `req.body`, Fastify `request.body`),
 * lowercased and trimmed so that `Alice` and `alice ` count as one account. Undefined when the
 * body is not parsed yet or has no string or number at that path.
 */
export function accountOf(context: RequestContext, route: LoginRoute): string | undefined {
  if (route.accountPath === undefined) return undefined;

  const source = (context.frameworkRequest ?? context.req) as { body?: unknown };
  let value: unknown = source.body;
  for (const key of route.accountPath) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value !== "string" && typeof value !== "number") return undefined;

  const account = String(value).trim().toLowerCase().slice(0, maxAccountLength);
  return account === "" ? undefined : account;
}
