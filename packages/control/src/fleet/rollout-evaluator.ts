import type { Database } from "../store/database";
import { deliveredVersion, getPolicy } from "../policies/policy-store";
import { decideRollout, inCanary, type RolloutRow } from "../policies/rollout-store";
import { listAgents } from "./agent-store";

/** Actor name of decisions taken by the evaluator, in the audit log and on the rollout. */
export const automaticActor = "automatic";

export interface CanaryHealth {
  readonly agents: number;
  readonly requests: number;
  readonly blockRate: number;
  readonly agentErrorsPerThousand: number;
  readonly overheadMs: number;
}

/**
 * Health of a rollout's canary: the online agents in the canary that acknowledged the new policy,
 * with their counters since they applied it.
 */
export async function canaryHealth(db: Database, rollout: RolloutRow): Promise<CanaryHealth> {
  const version = deliveredVersion(await getPolicy(db, rollout.policy_id));
  const agents = (await listAgents(db, rollout)).filter(
    (agent) =>
      agent.online &&
      agent.applied_version === version &&
      inCanary(agent.canary_draw, rollout.canary_percent),
  );

  let requests = 0;
  let blocked = 0;
  let errors = 0;
  let overheadWeighted = 0;
  for (const agent of agents) {
    requests += agent.stats.requests;
    blocked += agent.stats.blocked;
    errors += agent.stats.internal_errors;
    overheadWeighted += agent.stats.overhead_ms * agent.stats.requests;
  }
  return {
    agents: agents.length,
    requests,
    blockRate: requests === 0 ? 0 : blocked / requests,
    agentErrorsPerThousand: requests === 0 ? 0 : (errors * 1000) / requests,
    overheadMs: requests === 0 ? 0 : overheadWeighted / requests,
  };
}

/** Returns the reason to roll back, or undefined while the canary is within every threshold. */
export function breachedThreshold(rollout: RolloutRow, health: CanaryHealth): string | undefined {
  const limits = rollout.thresholds;
  if (health.blockRate > limits.maxBlockRate) {
    return `block rate ${(health.blockRate * 100).toFixed(2)}% above ${(limits.maxBlockRate * 100).toFixed(2)}%`;
  }
  if (health.agentErrorsPerThousand > limits.maxAgentErrorsPerThousand) {
    return `${health.agentErrorsPerThousand.toFixed(2)} agent errors per 1,000 requests, above ${limits.maxAgentErrorsPerThousand}`;
  }
  if (health.overheadMs > limits.maxOverheadMs) {
    return `overhead ${health.overheadMs.toFixed(3)} ms per request, above ${limits.maxOverheadMs} ms`;
  }
  return undefined;
}

/**
 * Decides the canaries that have enough traffic: rolls back one that breaches a threshold, and
 * promotes one that stayed within them for its auto-promotion period. Returns the decisions taken.
 */
export async function evaluateRollouts(db: Database, now = Date.now()): Promise<RolloutRow[]> {
  const canaries = await db.all("SELECT id FROM rollouts WHERE state = 'canary'");
  const decided: RolloutRow[] = [];
  for (const { id } of canaries) {
    const rollout = (await db.get("SELECT * FROM rollouts WHERE id = ?", [String(id)])) as Record<
      string,
      unknown
    >;
    const row: RolloutRow = {
      ...(rollout as unknown as RolloutRow),
      canary_percent: Number(rollout.canary_percent),
      started_at: Number(rollout.started_at),
      thresholds: JSON.parse(String(rollout.thresholds)) as RolloutRow["thresholds"],
    };
    const health = await canaryHealth(db, row);
    if (health.requests < row.thresholds.minRequests) continue;

    const breach = breachedThreshold(row, health);
    const promoteAfter = row.thresholds.autoPromoteAfterSeconds;
    let decision: { state: "promoted" | "rolled_back"; reason: string } | undefined;
    if (breach !== undefined) decision = { state: "rolled_back", reason: `canary ${breach}` };
    else if (promoteAfter > 0 && now - row.started_at >= promoteAfter * 1000) {
      decision = {
        state: "promoted",
        reason: `canary within thresholds for ${promoteAfter} s over ${health.requests} requests`,
      };
    }
    if (decision === undefined) continue;

    try {
      decided.push(
        await decideRollout(db, { rolloutId: row.id, ...decision, actor: automaticActor }),
      );
    } catch {
      // Another replica or a person decided it first.
    }
  }
  return decided;
}
