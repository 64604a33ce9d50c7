import { randomInt } from "node:crypto";

import type { AgentScope } from "../auth/agent-tokens";
import { newId } from "../auth/tokens";
import { badRequest, notFound } from "../http/errors";
import { canaryDrawRange } from "../policies/rollout-store";
import type { Database } from "../store/database";

/** Counters an agent reports with each heartbeat, counted since it applied its current policy. */
export interface AgentStats {
  readonly requests: number;
  readonly blocked: number;
  readonly monitored: number;
  readonly internal_errors: number;
  /** Inspection time per request, milliseconds (mean since the agent applied its current policy). */
  readonly overhead_ms: number;
  /** Events dropped because the control plane could not take them. */
  readonly events_dropped: number;
}

export interface AgentRow {
  id: string;
  service: string;
  environment: string;
  instance: string;
  agent_version: string;
  node_version: string;
  canary_draw: number;
  applied_version: string | null;
  applied_at: number | null;
  /** Last delivered version that the agent rejected, with its problems; null once it applies a newer one. */
  rejected_version: string | null;
  rejected_problems: string[] | null;
  rejected_at: number | null;
  registered_at: number;
  last_seen_at: number;
  stats: AgentStats;
}

/** Agents send a heartbeat every this many seconds; three missed ones mark an agent offline. */
export const heartbeatSeconds = 10;
export const offlineAfterMs = 3 * heartbeatSeconds * 1000;

const emptyStats: AgentStats = {
  requests: 0,
  blocked: 0,
  monitored: 0,
  internal_errors: 0,
  overhead_ms: 0,
  events_dropped: 0,
};

function text(field: string, value: unknown, max = 200): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    throw badRequest(`${field} must be a string of 1 to ${max} characters`);
  }
  return value;
}

function normalize(row: Record<string, unknown>): AgentRow {
  return {
    ...(row as unknown as AgentRow),
    canary_draw: Number(row.canary_draw),
    applied_at: row.applied_at === null ? null : Number(row.applied_at),
    rejected_version: (row.rejected_version as string | null | undefined) ?? null,
    rejected_problems:
      typeof row.rejected_problems === "string"
        ? (JSON.parse(row.rejected_problems) as string[])
        : null,
    rejected_at:
      row.rejected_at === null || row.rejected_at === undefined ? null : Number(row.rejected_at),
    registered_at: Number(row.registered_at),
    last_seen_at: Number(row.last_seen_at),
    stats: { ...emptyStats, ...(JSON.parse(String(row.stats)) as Partial<AgentStats>) },
  };
}

/**
 * Registers an agent instance under its token's service and environment. An instance that
 * registers again (a restart with the same instance name) keeps its id and canary draw, so a
 * restart does not move it in or out of a canary.
 */
export async function registerAgent(
  db: Database,
  scope: AgentScope,
  body: Record<string, unknown>,
): Promise<AgentRow> {
  const instance = text("instance", body.instance);
  const agentVersion = text("agent_version", body.agent_version, 50);
  const nodeVersion = text("node_version", body.node_version, 50);
  const now = Date.now();

  const existing = await db.get(
    "SELECT * FROM agents WHERE service = ? AND environment = ? AND instance = ?",
    [scope.service, scope.environment, instance],
  );
  if (existing !== undefined) {
    await db.run(
      "UPDATE agents SET agent_version = ?, node_version = ?, last_seen_at = ? WHERE id = ?",
      [agentVersion, nodeVersion, now, String(existing.id)],
    );
    return {
      ...normalize(existing),
      agent_version: agentVersion,
      node_version: nodeVersion,
      last_seen_at: now,
    };
  }

  const row: AgentRow = {
    id: newId(),
    service: scope.service,
    environment: scope.environment,
    instance,
    agent_version: agentVersion,
    node_version: nodeVersion,
    canary_draw: randomInt(canaryDrawRange),
    applied_version: null,
    applied_at: null,
    rejected_version: null,
    rejected_problems: null,
    rejected_at: null,
    registered_at: now,
    last_seen_at: now,
    stats: emptyStats,
  };
  await db.run(
    `INSERT INTO agents (id, service, environment, instance, agent_version, node_version, canary_draw,
       registered_at, last_seen_at, stats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.service,
      row.environment,
      row.instance,
      row.agent_version,
      row.node_version,
      row.canary_draw,
      now,
      now,
      "{}",
    ],
  );
  return row;
}

/** Loads an agent that belongs to the token's scope; another scope's agent is reported as missing. */
export async function agentInScope(db: Database, scope: AgentScope, id: string): Promise<AgentRow> {
  const row = await db.get(
    "SELECT * FROM agents WHERE id = ? AND service = ? AND environment = ?",
    [id, scope.service, scope.environment],
  );
  if (row === undefined)
    throw notFound(`no agent ${id} for ${scope.service}/${scope.environment}; register first`);
  return normalize(row);
}

function readStats(value: unknown): AgentStats {
  if (value === undefined) return emptyStats;
  if (typeof value !== "object" || value === null) throw badRequest("stats must be an object");
  const stats: Record<string, number> = { ...emptyStats };
  for (const key of Object.keys(emptyStats)) {
    const raw = (value as Record<string, unknown>)[key];
    if (raw === undefined) continue;
    if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0)
      throw badRequest(`stats.${key} must be a number of 0 or more`);
    stats[key] = raw;
  }
  return stats as unknown as AgentStats;
}

/** Records a heartbeat: the agent is alive, with these totals. */
export async function recordHeartbeat(
  db: Database,
  agent: AgentRow,
  body: Record<string, unknown>,
): Promise<void> {
  const stats = readStats(body.stats);
  await db.run("UPDATE agents SET last_seen_at = ?, stats = ? WHERE id = ?", [
    Date.now(),
    JSON.stringify(stats),
    agent.id,
  ]);
}

/** Records the policy version that the agent now runs (null: its own local settings). */
export async function recordApplied(
  db: Database,
  agent: AgentRow,
  version: string | null,
): Promise<void> {
  if (version === agent.applied_version) return;
  await db.run(
    "UPDATE agents SET applied_version = ?, applied_at = ?, last_seen_at = ? WHERE id = ?",
    [version, Date.now(), Date.now(), agent.id],
  );
}

export async function listAgents(
  db: Database,
  filter: { service?: string; environment?: string },
): Promise<(AgentRow & { online: boolean })[]> {
  const rows = await db.all(
    `SELECT * FROM agents WHERE (CAST(? AS TEXT) IS NULL OR service = ?) AND (CAST(? AS TEXT) IS NULL OR environment = ?)
     ORDER BY service, environment, instance LIMIT 2000`,
    [
      filter.service ?? null,
      filter.service ?? null,
      filter.environment ?? null,
      filter.environment ?? null,
    ],
  );
  const now = Date.now();
  return rows.map((row) => {
    const agent = normalize(row);
    return { ...agent, online: now - agent.last_seen_at < offlineAfterMs };
  });
}
