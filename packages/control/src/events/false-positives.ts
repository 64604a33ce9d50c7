import { audit } from "../audit";
import type { Database } from "../store/database";
import { getEvent } from "./event-queries";

/** An allow rule as the policy file writes it (`allow:` entries). */
export interface AllowRule {
  route?: string;
  input?: string;
  attackType: string;
}

/** Builds the narrowest allow rule that would have let this event's operation run: its route, input and type. */
export function allowRuleFor(event: {
  route: string | null;
  input_path: string | null;
  attack_type: string;
}): AllowRule {
  const rule: AllowRule = { attackType: event.attack_type };
  if (event.route !== null) rule.route = event.route;
  if (event.input_path !== null) rule.input = event.input_path;
  return rule;
}

/**
 * Marks an event as a false positive and returns the allow rule it proposes for the service's
 * next policy version.
 */
export async function markFalsePositive(
  db: Database,
  eventId: string,
  actor: string,
  reason: string,
): Promise<{ rule: AllowRule; service: string; environment: string }> {
  const event = await getEvent(db, eventId);
  await db.transaction(async (tx) => {
    await tx.run("UPDATE events SET false_positive = 1, false_positive_by = ? WHERE id = ?", [
      actor,
      eventId,
    ]);
    await audit(tx, {
      actor,
      action: "event.false_positive",
      target: eventId,
      reason,
      detail: { rule: allowRuleFor(event) },
    });
  });
  return { rule: allowRuleFor(event), service: event.service, environment: event.environment };
}

/**
 * Allow rules proposed by the events marked as false positives for a service, one per distinct
 * rule, with how many events each one covers.
 */
export async function proposedAllowRules(
  db: Database,
  service: string,
  environment: string,
): Promise<{ rule: AllowRule; events: number }[]> {
  const rows = await db.all(
    `SELECT route, input_path, attack_type, COUNT(*) AS count FROM events
      WHERE service = ? AND environment = ? AND false_positive = 1
      GROUP BY route, input_path, attack_type ORDER BY count DESC LIMIT 100`,
    [service, environment],
  );
  return rows.map((row) => ({
    rule: allowRuleFor({
      route: (row.route as string | null) ?? null,
      input_path: (row.input_path as string | null) ?? null,
      attack_type: String(row.attack_type),
    }),
    events: Number(row.count),
  }));
}
