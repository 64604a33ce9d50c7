import { requireAdmin } from "../auth/sessions";
import { eventCounts, getEvent, listEvents, type EventFilter } from "../events/event-queries";
import { getSnapshot } from "../events/snapshot-store";
import { deletionReason } from "./admin-api";
import { markFalsePositive, proposedAllowRules } from "../events/false-positives";
import { createAlertRule, deleteAlertRule, listAlertRules } from "../alerts/alert-rules";
import { badRequest } from "../http/errors";
import { readJsonObject } from "../http/request";
import type { Router } from "../http/router";
import { checkName } from "../policies/policy-store";
import type { Database } from "../store/database";

function time(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === "") return undefined;
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(parsed))
    throw badRequest(`${name} must be an ISO date or milliseconds since the epoch`);
  return parsed;
}

function text(url: URL, name: string, max = 500): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === "") return undefined;
  if (value.length > max) throw badRequest(`${name} is longer than ${max} characters`);
  return value;
}

function filterOf(url: URL): EventFilter {
  const service = text(url, "service");
  const environment = text(url, "environment");
  const falsePositive = text(url, "false_positive");
  return {
    from: time(url, "from"),
    to: time(url, "to"),
    service: service === undefined ? undefined : checkName("service", service),
    environment: environment === undefined ? undefined : checkName("environment", environment),
    attackType: text(url, "type", 100),
    action: text(url, "action", 50),
    route: text(url, "route"),
    clientIp: text(url, "client", 64),
    falsePositive: falsePositive === undefined ? undefined : falsePositive === "true",
  };
}

/** Routes of the event store and alert rules, for signed-in admins. */
export function addEventRoutes(router: Router, db: Database): void {
  router.add("GET", "/api/events", async ({ req, url }) => {
    await requireAdmin(db, req);
    const limit = Math.min(Math.max(Number(url.searchParams.get("limit") ?? "50") || 50, 1), 500);
    return listEvents(db, filterOf(url), { limit, before: text(url, "before", 200) });
  });

  router.add("GET", "/api/events/:id", async ({ req, params }) => {
    await requireAdmin(db, req);
    const event = await getEvent(db, params.id as string);
    return { ...event, snapshot: await getSnapshot(db, event.id) };
  });

  router.add("POST", "/api/events/:id/false-positive", async ({ req, params }) => {
    const admin = await requireAdmin(db, req);
    const body = await readJsonObject(req);
    const reason =
      typeof body.reason === "string" && body.reason.trim() !== ""
        ? body.reason.slice(0, 2000)
        : "marked as false positive";
    return markFalsePositive(db, params.id as string, admin.username, reason);
  });

  router.add("GET", "/api/stats", async ({ req, url }) => {
    await requireAdmin(db, req);
    const bucketSeconds = Number(url.searchParams.get("bucket") ?? "3600");
    if (!Number.isInteger(bucketSeconds) || bucketSeconds < 60 || bucketSeconds > 86_400) {
      throw badRequest("bucket must be a number of seconds from 60 to 86400");
    }
    const filter = filterOf(url);
    const from = filter.from ?? Date.now() - 24 * 60 * 60 * 1000;
    return {
      from,
      bucket_seconds: bucketSeconds,
      ...(await eventCounts(db, { ...filter, from }, bucketSeconds * 1000)),
    };
  });

  router.add("GET", "/api/proposals", async ({ req, url }) => {
    await requireAdmin(db, req);
    const service = checkName("service", url.searchParams.get("service"));
    const environment = checkName("environment", url.searchParams.get("environment"));
    return { rules: await proposedAllowRules(db, service, environment) };
  });

  router.add("GET", "/api/alerts", async ({ req }) => {
    await requireAdmin(db, req);
    return { rules: await listAlertRules(db) };
  });

  router.add("POST", "/api/alerts", async ({ req, res }) => {
    const admin = await requireAdmin(db, req);
    const rule = await createAlertRule(db, await readJsonObject(req), admin.username);
    res.statusCode = 201;
    return rule;
  });

  router.add("DELETE", "/api/alerts/:id", async ({ req, url, params }) => {
    const admin = await requireAdmin(db, req);
    const reason = deletionReason(url, "deleted");
    await deleteAlertRule(db, params.id as string, admin.username, reason);
    return { ok: true };
  });
}
