import { offlineAfterMs } from "../fleet/agent-store";
import { log } from "../log";
import type { Database } from "../store/database";
import { claimFiring, listAlertRules, type AlertRule } from "./alert-rules";

/** Time a webhook call may take, in milliseconds. */
const webhookTimeoutMs = 5000;

/** Computes the rule's figure now: events in its window, or agents offline. */
export async function alertValue(db: Database, rule: AlertRule, now: number): Promise<number> {
  const serviceSql = rule.service === null ? "" : " AND service = ?";
  const serviceParams = rule.service === null ? [] : [rule.service];
  if (rule.metric === "offline_agents") {
    // Agents gone for more than a day are decommissioned rather than offline.
    const row = await db.get(
      `SELECT COUNT(*) AS count FROM agents WHERE last_seen_at < ? AND last_seen_at >= ?${serviceSql}`,
      [now - offlineAfterMs, now - 24 * 60 * 60 * 1000, ...serviceParams],
    );
    return Number(row?.count ?? 0);
  }

  const condition = {
    detections: "",
    blocks: " AND action = 'blocked'",
    false_positives: " AND false_positive = 1",
  }[rule.metric];
  const row = await db.get(
    `SELECT COUNT(*) AS count FROM events WHERE time >= ?${condition}${serviceSql}`,
    [now - rule.window_seconds * 1000, ...serviceParams],
  );
  return Number(row?.count ?? 0);
}

/**
 * Checks every enabled rule and calls the webhook of each one above its threshold. A rule fires at
 * most once per window, across replicas too, because claiming a firing updates `last_fired_at`
 * only when no firing is recorded within the window. Returns the rules that fired.
 */
export async function evaluateAlerts(
  db: Database,
  now = Date.now(),
): Promise<{ rule: AlertRule; value: number }[]> {
  const fired: { rule: AlertRule; value: number }[] = [];
  for (const rule of await listAlertRules(db)) {
    if (!rule.enabled) continue;
    if (rule.last_fired_at !== null && now - rule.last_fired_at < rule.window_seconds * 1000)
      continue;

    const value = await alertValue(db, rule, now);
    if (value <= rule.threshold) continue;

    if (!(await claimFiring(db, rule, now))) continue;
    fired.push({ rule, value });
    await callWebhook(rule, value, now);
  }
  return fired;
}

async function callWebhook(rule: AlertRule, value: number, now: number): Promise<void> {
  const body = {
    alert: rule.name,
    metric: rule.metric,
    service: rule.service,
    value,
    threshold: rule.threshold,
    window_seconds: rule.window_seconds,
    time: new Date(now).toISOString(),
  };
  try {
    const response = await fetch(rule.webhook_url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(webhookTimeoutMs),
    });
    if (!response.ok)
      log.warn(
        { rule_id: rule.id, status: response.status },
        "alert webhook answered with an error status",
      );
  } catch (error) {
    log.warn(
      { rule_id: rule.id, err: { message: (error as Error).message } },
      "alert webhook call failed; the alert fires again after its window",
    );
  }
}
