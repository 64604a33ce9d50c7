import { audit } from "../audit";
import { newId } from "../auth/tokens";
import { HttpError, badRequest, conflict, notFound } from "../http/errors";
import type { Database } from "../store/database";
import { deliveredVersion, getPolicy, type PolicyRow } from "./policy-store";

/**
 * Limits that a canary must stay within. Figures come from the canary agents' heartbeats over the
 * rollout so far; any one exceeded rolls the rollout back.
 */
export interface RolloutThresholds {
  /** Largest share of requests blocked, 0 to 1. */
  readonly maxBlockRate: number;
  /** Largest number of agent internal errors per 1,000 requests. */
  readonly maxAgentErrorsPerThousand: number;
  /** Largest inspection time per request, milliseconds (the agent's own overhead). */
  readonly maxOverheadMs: number;
  /** Promote on its own after this many seconds within the limits; 0 waits for a person. */
  readonly autoPromoteAfterSeconds: number;
  /** Minimum requests seen by canary agents before any automatic decision. */
  readonly minRequests: number;
}

export const defaultThresholds: RolloutThresholds = {
  maxBlockRate: 0.05,
  maxAgentErrorsPerThousand: 1,
  maxOverheadMs: 5,
  autoPromoteAfterSeconds: 0,
  minRequests: 100,
};

export type RolloutState = "canary" | "promoted" | "rolled_back";

export interface RolloutRow {
  id: string;
  service: string;
  environment: string;
  policy_id: string;
  previous_policy_id: string | null;
  canary_percent: number;
  state: RolloutState;
  thresholds: RolloutThresholds;
  started_by: string;
  started_at: number;
  decided_by: string | null;
  decided_at: number | null;
  reason: string | null;
}

function parseThresholds(value: unknown): RolloutThresholds {
  if (value === undefined || value === null) return defaultThresholds;
  if (typeof value !== "object" || Array.isArray(value))
    throw badRequest("thresholds must be an object");

  const result: Record<string, number> = { ...defaultThresholds };
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in defaultThresholds)) {
      throw badRequest(
        `thresholds.${key}: unknown key; expected one of ${Object.keys(defaultThresholds).join(", ")}`,
      );
    }
    if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0) {
      throw badRequest(`thresholds.${key}: expected a number of 0 or more`);
    }
    result[key] = raw;
  }
  if ((result.maxBlockRate as number) > 1)
    throw badRequest("thresholds.maxBlockRate: expected 0 to 1");
  return result as unknown as RolloutThresholds;
}

function normalize(row: Record<string, unknown>): RolloutRow {
  return {
    ...(row as unknown as RolloutRow),
    canary_percent: Number(row.canary_percent),
    started_at: Number(row.started_at),
    decided_at: row.decided_at === null ? null : Number(row.decided_at),
    thresholds: JSON.parse(String(row.thresholds)) as RolloutThresholds,
  };
}

/** Loads the latest rollout of a service, which decides what its agents run. */
export async function currentRollout(
  db: Database,
  service: string,
  environment: string,
): Promise<RolloutRow | undefined> {
  const row = await db.get(
    "SELECT * FROM rollouts WHERE service = ? AND environment = ? ORDER BY started_at DESC, id DESC LIMIT 1",
    [service, environment],
  );
  return row === undefined ? undefined : normalize(row);
}

/** Returns the policy a rollout gives everyone now: the new one once promoted, the previous one otherwise. */
export function settledPolicyId(rollout: RolloutRow): string | null {
  return rollout.state === "promoted" ? rollout.policy_id : rollout.previous_policy_id;
}

/**
 * Starts rolling a stored policy out to a share of the service's agents (100 gives it to all at
 * once). Only one rollout per service can be in canary at a time.
 */
export async function startRollout(
  db: Database,
  fields: {
    policyId: string;
    canaryPercent: unknown;
    thresholds: unknown;
    reason: string;
    actor: string;
  },
): Promise<RolloutRow> {
  const policy = await getPolicy(db, fields.policyId);
  const percent = fields.canaryPercent ?? 10;
  if (typeof percent !== "number" || !Number.isInteger(percent) || percent < 1 || percent > 100) {
    throw badRequest("canary_percent must be an integer from 1 to 100");
  }
  const thresholds = parseThresholds(fields.thresholds);

  return db.withLock(`rollout:${policy.service}:${policy.environment}`, async (locked) => {
    const current = await currentRollout(locked, policy.service, policy.environment);
    if (current?.state === "canary") {
      throw conflict(`rollout ${current.id} is still in canary: promote it or roll it back first`);
    }
    const previous = current === undefined ? null : settledPolicyId(current);
    if (previous === policy.id)
      throw conflict(`policy ${deliveredVersion(policy)} is already in force`);

    const now = Date.now();
    const row: RolloutRow = {
      id: newId(),
      service: policy.service,
      environment: policy.environment,
      policy_id: policy.id,
      previous_policy_id: previous,
      canary_percent: percent,
      state: percent === 100 ? "promoted" : "canary",
      thresholds,
      started_by: fields.actor,
      started_at: now,
      decided_by: percent === 100 ? fields.actor : null,
      decided_at: percent === 100 ? now : null,
      reason: fields.reason,
    };
    await locked.run(
      `INSERT INTO rollouts (id, service, environment, policy_id, previous_policy_id, canary_percent, state,
         thresholds, started_by, started_at, decided_by, decided_at, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.id,
        row.service,
        row.environment,
        row.policy_id,
        row.previous_policy_id,
        row.canary_percent,
        row.state,
        JSON.stringify(row.thresholds),
        row.started_by,
        row.started_at,
        row.decided_by,
        row.decided_at,
        row.reason,
      ],
    );
    await audit(locked, {
      actor: fields.actor,
      action: "rollout.start",
      target: deliveredVersion(policy),
      reason: fields.reason,
      detail: { rollout_id: row.id, canary_percent: percent, thresholds },
    });
    return row;
  });
}

/** Ends a canary: `promoted` gives the new policy to every agent, `rolled_back` the previous one. */
export async function decideRollout(
  db: Database,
  fields: { rolloutId: string; state: "promoted" | "rolled_back"; reason: string; actor: string },
): Promise<RolloutRow> {
  const existing = await db.get("SELECT service, environment FROM rollouts WHERE id = ?", [
    fields.rolloutId,
  ]);
  if (existing === undefined) throw notFound(`no rollout with id ${fields.rolloutId}`);

  return db.withLock(
    `rollout:${String(existing.service)}:${String(existing.environment)}`,
    async (locked) => {
      const row = normalize(
        (await locked.get("SELECT * FROM rollouts WHERE id = ?", [fields.rolloutId])) ?? {},
      );
      if (row.state !== "canary") {
        throw new HttpError(
          409,
          "conflict",
          `rollout ${row.id} was already ${row.state.replace("_", " ")}`,
        );
      }
      const now = Date.now();
      await locked.run(
        "UPDATE rollouts SET state = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ?",
        [fields.state, fields.actor, now, fields.reason, row.id],
      );
      await audit(locked, {
        actor: fields.actor,
        action: fields.state === "promoted" ? "rollout.promote" : "rollout.rollback",
        target: `${row.service}/${row.environment}`,
        reason: fields.reason,
        detail: { rollout_id: row.id, policy_id: row.policy_id },
      });
      return {
        ...row,
        state: fields.state,
        decided_by: fields.actor,
        decided_at: now,
        reason: fields.reason,
      };
    },
  );
}

export async function listRollouts(
  db: Database,
  filter: { service?: string; environment?: string },
): Promise<RolloutRow[]> {
  const rows = await db.all(
    `SELECT * FROM rollouts WHERE (CAST(? AS TEXT) IS NULL OR service = ?) AND (CAST(? AS TEXT) IS NULL OR environment = ?)
     ORDER BY started_at DESC LIMIT 200`,
    [
      filter.service ?? null,
      filter.service ?? null,
      filter.environment ?? null,
      filter.environment ?? null,
    ],
  );
  return rows.map(normalize);
}

/** Canary draws are 0 to 9999; an agent is in the canary when its draw is below percent x 100. */
export const canaryDrawRange = 10_000;

export function inCanary(canaryDraw: number, percent: number): boolean {
  return canaryDraw < percent * (canaryDrawRange / 100);
}

/**
 * The policy that an agent must run: none when its service never had a rollout (the agent keeps
 * its own file or environment settings), else what the latest rollout gives its canary draw.
 */
export async function assignedPolicy(
  db: Database,
  agent: { service: string; environment: string; canary_draw: number },
): Promise<PolicyRow | undefined> {
  const rollout = await currentRollout(db, agent.service, agent.environment);
  if (rollout === undefined) return undefined;

  const policyId =
    rollout.state === "canary" && inCanary(agent.canary_draw, rollout.canary_percent)
      ? rollout.policy_id
      : settledPolicyId(rollout);
  return policyId === null ? undefined : getPolicy(db, policyId);
}
