import { audit } from "../audit";
import { newId } from "../auth/tokens";
import { badRequest, notFound } from "../http/errors";
import { checkName } from "../policies/policy-store";
import type { Database } from "../store/database";

/** Figures an alert rule can watch, each counted over the rule's window. */
export const alertMetrics = {
  detections: "security events (blocked or monitored)",
  blocks: "blocked operations",
  false_positives: "events marked as false positives",
  offline_agents: "agents that missed three heartbeats (the window is ignored)",
  overhead_us:
    "largest inspection time per request of an online agent, in µs (the window is ignored)",
  agent_errors:
    "agent internal errors per 1,000 requests over the online agents (the window is ignored)",
  sync_lag_ms: "largest policy sync lag of an online agent, in ms (the window is ignored)",
  rollbacks: "rollouts rolled back, by a person or on their own",
} as const;
export type AlertMetric = keyof typeof alertMetrics;

export interface AlertRule {
  id: string;
  name: string;
  metric: AlertMetric;
  service: string | null;
  threshold: number;
  window_seconds: number;
  webhook_url: string;
  enabled: boolean;
  last_fired_at: number | null;
}

function normalize(row: Record<string, unknown>): AlertRule {
  return {
    ...(row as unknown as AlertRule),
    threshold: Number(row.threshold),
    window_seconds: Number(row.window_seconds),
    enabled: Number(row.enabled) === 1,
    last_fired_at: row.last_fired_at === null ? null : Number(row.last_fired_at),
  };
}

function readRule(
  body: Record<string, unknown>,
): Omit<AlertRule, "id" | "enabled" | "last_fired_at"> {
  const { name, metric, service, threshold, window_seconds: window, webhook_url: webhook } = body;
  if (typeof name !== "string" || name.trim() === "" || name.length > 200)
    throw badRequest("name must be 1 to 200 characters");
  if (typeof metric !== "string" || !(metric in alertMetrics)) {
    throw badRequest(`metric must be one of ${Object.keys(alertMetrics).join(", ")}`);
  }
  if (service !== undefined && service !== null && service !== "") checkName("service", service);
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 0)
    throw badRequest("threshold must be an integer of 0 or more");
  if (typeof window !== "number" || !Number.isInteger(window) || window < 10 || window > 86_400) {
    throw badRequest("window_seconds must be an integer from 10 to 86400");
  }
  let url: URL;
  try {
    url = new URL(String(webhook));
  } catch {
    throw badRequest("webhook_url must be an absolute http or https URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw badRequest("webhook_url must be an absolute http or https URL");
  return {
    name,
    metric: metric as AlertMetric,
    service: typeof service === "string" && service !== "" ? service : null,
    threshold,
    window_seconds: window,
    webhook_url: url.href,
  };
}

export async function createAlertRule(
  db: Database,
  body: Record<string, unknown>,
  actor: string,
): Promise<AlertRule> {
  const fields = readRule(body);
  const rule: AlertRule = { id: newId(), ...fields, enabled: true, last_fired_at: null };
  await db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO alert_rules (id, name, metric, service, threshold, window_seconds, webhook_url, enabled, created_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      [
        rule.id,
        rule.name,
        rule.metric,
        rule.service,
        rule.threshold,
        rule.window_seconds,
        rule.webhook_url,
        actor,
        Date.now(),
      ],
    );
    await audit(tx, {
      actor,
      action: "alert.create",
      target: rule.id,
      reason: rule.name,
      detail: { metric: rule.metric, threshold: rule.threshold },
    });
  });
  return rule;
}

export async function listAlertRules(db: Database): Promise<AlertRule[]> {
  return (await db.all("SELECT * FROM alert_rules ORDER BY created_at")).map(normalize);
}

export async function deleteAlertRule(
  db: Database,
  id: string,
  actor: string,
  reason: string,
): Promise<void> {
  const deleted = await db.run("DELETE FROM alert_rules WHERE id = ?", [id]);
  if (deleted === 0) throw notFound(`no alert rule with id ${id}`);
  await audit(db, { actor, action: "alert.delete", target: id, reason });
}

/**
 * Records that the rule fires now, unless another replica recorded a firing within the window
 * meanwhile. Returns true when this caller claimed the firing and must call the webhook.
 */
export async function claimFiring(db: Database, rule: AlertRule, at: number): Promise<boolean> {
  const changed = await db.run(
    "UPDATE alert_rules SET last_fired_at = ? WHERE id = ? AND (last_fired_at IS NULL OR last_fired_at <= ?)",
    [at, rule.id, at - rule.window_seconds * 1000],
  );
  return changed === 1;
}
