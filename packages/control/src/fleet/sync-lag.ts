import type { Database } from "../store/database";
import { deliveredVersion, getPolicy } from "../policies/policy-store";
import { currentRollout, inCanary, settledPolicyId } from "../policies/rollout-store";
import { listAgents } from "./agent-store";

/** How far one service's online agents are behind the policy they should run. */
export interface SyncLag {
  readonly service: string;
  readonly environment: string;
  /** When the assignment last changed (rollout start or decision), ms since the epoch. */
  readonly changedAt: number | null;
  /** Agents that acknowledged what they should run. */
  readonly synced: number;
  /** Agents still on another version; their lag keeps growing until they acknowledge. */
  readonly pending: number;
  /** Largest lag over the service's online agents, in milliseconds. */
  readonly maxLagMs: number;
}

/**
 * Policy sync lag from acknowledgements: for each online agent, the time from the last change of
 * its assignment to its acknowledgement of the assigned version (or to now, while it has not).
 */
export async function syncLag(
  db: Database,
  service: string,
  environment: string,
): Promise<SyncLag> {
  const rollout = await currentRollout(db, service, environment);
  const agents = (await listAgents(db, { service, environment })).filter((agent) => agent.online);
  if (rollout === undefined) {
    return {
      service,
      environment,
      changedAt: null,
      synced: agents.length,
      pending: 0,
      maxLagMs: 0,
    };
  }

  const changedAt = rollout.decided_at ?? rollout.started_at;
  const versions = new Map<string, string>();
  const versionOf = async (policyId: string | null): Promise<string | null> => {
    if (policyId === null) return null;
    let version = versions.get(policyId);
    if (version === undefined) {
      version = deliveredVersion(await getPolicy(db, policyId));
      versions.set(policyId, version);
    }
    return version;
  };

  let synced = 0;
  let pending = 0;
  let maxLagMs = 0;
  const now = Date.now();
  for (const agent of agents) {
    const policyId =
      rollout.state === "canary" && inCanary(agent.canary_draw, rollout.canary_percent)
        ? rollout.policy_id
        : settledPolicyId(rollout);
    const expected = await versionOf(policyId);
    // An agent that registered after the change got the assignment at registration.
    const since = Math.max(changedAt, agent.registered_at);
    if (agent.applied_version === expected && agent.applied_at !== null) {
      synced += 1;
      maxLagMs = Math.max(maxLagMs, Math.max(agent.applied_at - since, 0));
    } else {
      pending += 1;
      maxLagMs = Math.max(maxLagMs, now - since);
    }
  }
  return { service, environment, changedAt, synced, pending, maxLagMs };
}

/** Sync lag of the whole fleet: every service and environment that has an online agent. */
export interface FleetSyncLag {
  readonly synced: number;
  readonly pending: number;
  /** Largest lag over every online agent, in milliseconds. */
  readonly maxLagMs: number;
  readonly services: readonly SyncLag[];
}

/**
 * Computes `syncLag` for each service and environment with online agents, and the fleet's totals.
 * NOTE: `listAgents` returns 2,000 agents at most, so a larger fleet is judged on a part of it.
 */
export async function fleetSyncLag(db: Database): Promise<FleetSyncLag> {
  const pairs = new Map<string, { service: string; environment: string }>();
  for (const agent of await listAgents(db, {})) {
    if (!agent.online) continue;
    pairs.set(`${agent.service}\u0000${agent.environment}`, {
      service: agent.service,
      environment: agent.environment,
    });
  }

  const services: SyncLag[] = [];
  for (const { service, environment } of pairs.values()) {
    services.push(await syncLag(db, service, environment));
  }
  return {
    synced: services.reduce((sum, lag) => sum + lag.synced, 0),
    pending: services.reduce((sum, lag) => sum + lag.pending, 0),
    maxLagMs: services.reduce((max, lag) => Math.max(max, lag.maxLagMs), 0),
    services,
  };
}
