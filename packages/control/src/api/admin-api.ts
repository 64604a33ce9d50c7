import { createAgentToken, listAgentTokens, revokeAgentToken } from "../auth/agent-tokens";
import {
  clearSessionCookie,
  requireAdmin,
  sessionOf,
  setSessionCookie,
  signIn,
  signOut,
} from "../auth/sessions";
import { audit, listAudit } from "../audit";
import { listAgents } from "../fleet/agent-store";
import { fleetSyncLag, syncLag } from "../fleet/sync-lag";
import { SignInThrottle } from "../auth/sign-in-throttle";
import { HttpError, badRequest } from "../http/errors";
import { readJsonObject } from "../http/request";
import type { Router } from "../http/router";
import { diffLines } from "../policies/diff";
import { checkName, createPolicy, getPolicy, listPolicies } from "../policies/policy-store";
import { decideRollout, listRollouts, startRollout } from "../policies/rollout-store";
import type { Database } from "../store/database";

function requiredText(body: Record<string, unknown>, field: string, max = 10_000): string {
  const value = body[field];
  if (typeof value !== "string" || value.trim() === "" || value.length > max) {
    throw badRequest(`${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

function optionalName(url: URL, field: string): string | undefined {
  const value = url.searchParams.get(field);
  return value === null || value === "" ? undefined : checkName(field, value);
}

/** Routes for signed-in admins: session, policies, rollouts, agents, tokens, audit log. */
export function addAdminRoutes(router: Router, db: Database): void {
  const throttle = new SignInThrottle();

  router.add("POST", "/api/session", async ({ req, res }) => {
    const body = await readJsonObject(req, 10_000);
    const username = requiredText(body, "username", 200);
    const password = requiredText(body, "password", 1000);
    const address = req.socket.remoteAddress ?? "unknown";

    const waitMs = throttle.retryAfterMs(address, username);
    if (waitMs !== undefined) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new HttpError(
        429,
        "too_many_attempts",
        `too many failed sign-ins for this user from this address; try again in ${seconds} s`,
        { "retry-after": String(seconds) },
      );
    }

    const session = await signIn(db, username, password);
    if (session === undefined) {
      throttle.failed(address, username);
      throw new HttpError(401, "unauthenticated", "wrong username or password");
    }
    throttle.succeeded(address, username);
    setSessionCookie(res, session.token, session.expiresAt);
    return { csrf_token: session.csrfToken, expires_at: session.expiresAt };
  });

  router.add("GET", "/api/session", async ({ req }) => {
    const session = await sessionOf(db, req);
    if (session === undefined) throw new HttpError(401, "unauthenticated", "sign in first");
    return { username: session.username, csrf_token: session.csrfToken };
  });

  router.add("DELETE", "/api/session", async ({ req, res }) => {
    await requireAdmin(db, req);
    await signOut(db, req);
    clearSessionCookie(res);
    return { ok: true };
  });

  router.add("GET", "/api/policies", async ({ req, url }) => {
    await requireAdmin(db, req);
    return {
      policies: await listPolicies(db, {
        service: optionalName(url, "service"),
        environment: optionalName(url, "environment"),
      }),
    };
  });

  router.add("POST", "/api/policies", async ({ req, res }) => {
    const admin = await requireAdmin(db, req);
    const body = await readJsonObject(req);
    const policy = await createPolicy(db, {
      service: checkName("service", body.service),
      environment: checkName("environment", body.environment),
      content: requiredText(body, "content", 512 * 1024),
      comment: requiredText(body, "comment", 2000),
      actor: admin.username,
    });
    res.statusCode = 201;
    return policy;
  });

  router.add("GET", "/api/policies/:id", async ({ req, params }) => {
    await requireAdmin(db, req);
    return getPolicy(db, params.id as string);
  });

  router.add("GET", "/api/policies/:id/diff", async ({ req, url, params }) => {
    await requireAdmin(db, req);
    const policy = await getPolicy(db, params.id as string);
    const againstId = url.searchParams.get("against");
    const against = againstId === null ? undefined : await getPolicy(db, againstId);
    return {
      from: against === undefined ? null : { id: against.id, version: against.version },
      to: { id: policy.id, version: policy.version },
      lines: diffLines(against?.content ?? "", policy.content),
    };
  });

  router.add("GET", "/api/rollouts", async ({ req, url }) => {
    await requireAdmin(db, req);
    return {
      rollouts: await listRollouts(db, {
        service: optionalName(url, "service"),
        environment: optionalName(url, "environment"),
      }),
    };
  });

  router.add("POST", "/api/rollouts", async ({ req, res }) => {
    const admin = await requireAdmin(db, req);
    const body = await readJsonObject(req);
    const rollout = await startRollout(db, {
      policyId: requiredText(body, "policy_id", 100),
      canaryPercent: body.canary_percent,
      thresholds: body.thresholds,
      reason: requiredText(body, "reason", 2000),
      actor: admin.username,
    });
    res.statusCode = 201;
    return rollout;
  });

  for (const [action, state] of [
    ["promote", "promoted"],
    ["rollback", "rolled_back"],
  ] as const) {
    router.add("POST", `/api/rollouts/:id/${action}`, async ({ req, params }) => {
      const admin = await requireAdmin(db, req);
      const body = await readJsonObject(req);
      return decideRollout(db, {
        rolloutId: params.id as string,
        state,
        reason: requiredText(body, "reason", 2000),
        actor: admin.username,
      });
    });
  }

  router.add("GET", "/api/agents", async ({ req, url }) => {
    await requireAdmin(db, req);
    return {
      agents: await listAgents(db, {
        service: optionalName(url, "service"),
        environment: optionalName(url, "environment"),
      }),
    };
  });

  router.add("GET", "/api/sync-lag", async ({ req, url }) => {
    await requireAdmin(db, req);
    const service = optionalName(url, "service");
    const environment = optionalName(url, "environment");
    if (service === undefined && environment === undefined) return fleetSyncLag(db);
    if (service === undefined || environment === undefined)
      throw badRequest("missing service or environment: give both, or neither for the whole fleet");
    return syncLag(db, service, environment);
  });

  router.add("GET", "/api/tokens", async ({ req }) => {
    await requireAdmin(db, req);
    return { tokens: await listAgentTokens(db) };
  });

  router.add("POST", "/api/tokens", async ({ req, res }) => {
    const admin = await requireAdmin(db, req);
    const body = await readJsonObject(req);
    const fields = {
      name: requiredText(body, "name", 200),
      service: checkName("service", body.service),
      environment: checkName("environment", body.environment),
      createdBy: admin.username,
    };
    const created = await createAgentToken(db, fields);
    await audit(db, {
      actor: admin.username,
      action: "token.create",
      target: `${fields.service}/${fields.environment}`,
      reason: fields.name,
      detail: { token_id: created.id },
    });
    res.statusCode = 201;
    // The secret is shown once; only its hash is kept.
    return { id: created.id, token: created.token };
  });

  router.add("DELETE", "/api/tokens/:id", async ({ req, url, params }) => {
    const admin = await requireAdmin(db, req);
    const reason = deletionReason(url, "revoked");
    const revoked = await revokeAgentToken(db, params.id as string);
    if (!revoked) throw new HttpError(404, "not_found", `no active token with id ${params.id}`);
    await audit(db, {
      actor: admin.username,
      action: "token.revoke",
      target: params.id as string,
      reason,
    });
    return { ok: true };
  });

  router.add("GET", "/api/audit", async ({ req, url }) => {
    await requireAdmin(db, req);
    const limit = Math.min(Number(url.searchParams.get("limit") ?? "100") || 100, 1000);
    return { entries: await listAudit(db, limit) };
  });
}

/**
 * Returns the `reason` query parameter of a DELETE, for the audit log, or `fallback` when the
 * request gives none. DELETE requests carry no body, so the reason comes in the URL.
 */
export function deletionReason(url: URL, fallback: string): string {
  const reason = (url.searchParams.get("reason") ?? "").trim();
  if (reason.length > 2000) throw badRequest("reason must be at most 2000 characters");
  return reason === "" ? fallback : reason;
}
