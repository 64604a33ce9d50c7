import type { RequestContext, ResponseMessage } from "../context/request-context";
import { failOpen } from "../failsafe";
import { isEnforcing, publishGateEvent } from "./gate-events";
import { sendGateResponse } from "./gate-response";
import type { Gate } from "./gate-state";
import { accountOf, type LoginRoute, type LoginThrottling, type Threshold } from "./login-throttle";
import type { CounterHit } from "./stores/counter-store";

type ResponseMethod = (this: ResponseMessage, ...args: unknown[]) => unknown;

/** Refuses the response when the account named in the body is throttled; returns true when it did. */
function refuseThrottledAccount(
  gate: Gate,
  context: RequestContext,
  account: string | undefined,
): boolean {
  if (account === undefined || !isEnforcing("login_throttled")) return false;

  // NOTE: the block mark is read from local memory because the response cannot wait for Redis.
  // With a Redis store, another instance marks the account at its next failure for it.
  const remainingMs = gate.local.markedFor(`login:block:account:${account}`);
  if (remainingMs === 0) return false;

  sendGateResponse(context, {
    status: 429,
    eventId: context.requestId(),
    retryAfterSeconds: remainingMs / 1000,
  });
  return true;
}

/**
 * Checks the account once, before the first byte of the app's response: the account is known only
 * after the app parsed the body, which happens after the request started.
 */
function interceptResponseStart(res: ResponseMessage, onStart: () => boolean): void {
  let checked = false;
  const originals = { writeHead: res.writeHead, write: res.write, end: res.end } as Record<
    string,
    ResponseMethod
  >;

  const restore = () => {
    for (const name of ["writeHead", "write", "end"])
      delete (res as unknown as Record<string, unknown>)[name];
  };
  for (const name of ["writeHead", "write", "end"] as const) {
    const original = originals[name]!;
    (res as unknown as Record<string, ResponseMethod>)[name] = function checkedFirst(
      this: ResponseMessage,
      ...args: unknown[]
    ) {
      if (!checked) {
        checked = true;
        restore();
        const refused = failOpen("gate.login_account", false, onStart);
        if (refused) {
          if (name === "write") return true;
          const callback = args.find((arg) => typeof arg === "function") as
            (() => void) | undefined;
          if (callback !== undefined) process.nextTick(callback);
          return res;
        }
      }
      return original.apply(this, args);
    };
  }
}

interface Failure {
  readonly scope: "ip" | "account";
  readonly key: string;
  readonly threshold: Threshold;
}

function onThresholdHit(
  gate: Gate,
  context: RequestContext,
  route: LoginRoute,
  failure: Failure,
  hit: CounterHit,
): void {
  if (hit.count < failure.threshold.failures) return;

  const blockKey = `login:block:${failure.scope}:${failure.key}`;
  const enforced = isEnforcing("login_throttled");
  if (enforced) {
    gate.local.mark(blockKey, failure.threshold.blockMs);
    gate.store.mark(blockKey, failure.threshold.blockMs);
  }

  // One event per block period and key, however many failures follow.
  const reportKey = `reported:${blockKey}`;
  if (gate.local.markedFor(reportKey) > 0) return;
  gate.local.mark(reportKey, failure.threshold.blockMs);
  publishGateEvent(
    {
      attackType: "login_throttled",
      sink: "gate.login",
      operation: `${route.description}: ${hit.count} failed logins per ${failure.scope} in ${failure.threshold.windowMs / 1000}s`,
      reason: failure.scope === "ip" ? "failed-logins-per-ip" : "failed-logins-per-account",
      input:
        failure.scope === "account"
          ? {
              source: "body",
              path: `body.${route.accountPath?.join(".") ?? ""}`,
              value: failure.key,
            }
          : undefined,
    },
    context,
    enforced,
  );
}

function countFailure(
  gate: Gate,
  context: RequestContext,
  route: LoginRoute,
  failure: Failure,
): void {
  const hit = gate.store.increment(
    `login:fail:${failure.scope}:${failure.key}`,
    failure.threshold.windowMs,
  );
  if (hit instanceof Promise) {
    void hit.then((settled) =>
      failOpen("gate.login_count", undefined, () =>
        onThresholdHit(gate, context, route, failure, settled),
      ),
    );
    return;
  }
  onThresholdHit(gate, context, route, failure, hit);
}

/** Counts the finished login: a failure status adds to the IP and account counts, a success clears the account's. */
function onLoginFinished(
  gate: Gate,
  login: LoginThrottling,
  route: LoginRoute,
  context: RequestContext,
  ip: string | undefined,
  account: string | undefined,
): void {
  if (context.blockedEventId !== undefined) return;

  const failed = login.failureStatuses.has(context.res.statusCode);
  if (!failed) {
    if (account !== undefined && context.res.statusCode < 400)
      gate.store.delete(`login:fail:account:${account}`);
    return;
  }

  if (ip !== undefined && login.perIp !== undefined)
    countFailure(gate, context, route, { scope: "ip", key: ip, threshold: login.perIp });
  if (account !== undefined && login.perAccount !== undefined)
    countFailure(gate, context, route, {
      scope: "account",
      key: account,
      threshold: login.perAccount,
    });
}

/** Watches a login request's response: refuses it for a throttled account and counts its outcome. */
export function watchLoginResponse(
  gate: Gate,
  login: LoginThrottling,
  route: LoginRoute,
  context: RequestContext,
  ip: string | undefined,
): void {
  let account: string | undefined;
  const { res } = context;

  interceptResponseStart(res, () => {
    account = accountOf(context, route);
    return refuseThrottledAccount(gate, context, account);
  });
  res.once("finish", () =>
    failOpen("gate.login_finish", undefined, () =>
      onLoginFinished(gate, login, route, context, ip, account),
    ),
  );
}
