import { listAgents, offlineAfterMs } from "../fleet/agent-store";
import { fleetSyncLag } from "../fleet/sync-lag";
import { log } from "../log";
import type { Database } from "../store/database";
import { claimFiring, listAlertRules, type AlertRule } from "./alert-rules";

/** Time a webhook call may take, in milliseconds. */
const webhookTimeoutMs = 5000;

/**
 * Computes the rule's figure now: events or rollbacks in its window, or the current state of the
 * online agents (offline count, overhead, error rate, sync lag).
 */
export async function alertValue(db: Database, rule: AlertRule, now: number): Promise<number> {
  const serviceSql = rule.service === null ? "" : " AND service = ?";
  const serviceParams = rule.service === null ? [] : [rule.service];
  if (rule.metric === "overhead_us" || rule.metric === "agent_errors") {
    return agentFigure(db, rule.metric, rule.service);
  }
  if (rule.metric === "sync_lag_ms") {
    const fleet = await fleetSyncLag(db);
    const lags = fleet.services
      .filter((lag) => rule.service === null || lag.service === rule.service)
      .map((lag) => lag.maxLagMs);
    return Math.max(0, ...lags);
  }
  if (rule.metric === "rollbacks") {
    const row = await db.get(
      `SELECT COUNT(*) AS count FROM rollouts WHERE state = 'rolled_back' AND decided_at >= ?${serviceSql}`,
      [now - rule.window_seconds * 1000, ...serviceParams],
    );
    return Number(row?.count ?? 0);
  }
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

/** Returns the largest overhead (µs per request) or the error rate (per 1,000 requests) of online agents. */
async function agentFigure(
  db: Database,
  metric: "overhead_us" | "agent_errors",
  service: string | null,
): Promise<number> {
  const agents = (await listAgents(db, service === null ? {} : { service })).filter(
    (agent) => agent.online,
  );
  if (metric === "overhead_us") {
    return Math.max(0, ...agents.map((agent) => Math.round(agent.stats.overhead_ms * 1000)));
  }

  let requests = 0;
  let errors = 0;
  for (const agent of agents) {
    requests += agent.stats.requests;
    errors += agent.stats.internal_errors;
  }
  return requests === 0 ? 0 : (errors * 1000) / requests;
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
