import type { IncomingMessage } from "node:http";

import type { Database } from "../store/database";
import { HttpError } from "../http/errors";
import { bearerToken } from "../http/request";
import { hashSecret, newId, newSecret } from "./tokens";

/** Scope of an agent token: one service in one environment. */
export interface AgentScope {
  readonly tokenId: string;
  readonly service: string;
  readonly environment: string;
}

/** Token text starts with this prefix, so that secret scanners can recognise a leaked token. */
export const agentTokenPrefix = "rpt_";

export interface AgentTokenRow {
  id: string;
  name: string;
  service: string;
  environment: string;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
}

/** Creates a token; the secret is returned once and only its hash is stored. */
export async function createAgentToken(
  db: Database,
  fields: { name: string; service: string; environment: string; createdBy: string },
): Promise<{ id: string; token: string }> {
  const id = newId();
  const token = newSecret(agentTokenPrefix);
  await db.run(
    `INSERT INTO agent_tokens (id, name, service, environment, token_hash, created_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      fields.name,
      fields.service,
      fields.environment,
      hashSecret(token),
      fields.createdBy,
      Date.now(),
    ],
  );
  return { id, token };
}

export async function revokeAgentToken(db: Database, id: string): Promise<boolean> {
  const changed = await db.run(
    "UPDATE agent_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
    [Date.now(), id],
  );
  return changed > 0;
}

export async function listAgentTokens(db: Database): Promise<AgentTokenRow[]> {
  return db.all<AgentTokenRow & Record<string, unknown>>(
    "SELECT id, name, service, environment, created_by, created_at, revoked_at FROM agent_tokens ORDER BY created_at DESC",
  );
}

/** Requires a valid, unrevoked agent token in the Authorization header. */
export async function requireAgent(db: Database, req: IncomingMessage): Promise<AgentScope> {
  const token = bearerToken(req);
  if (token === undefined)
    throw new HttpError(401, "unauthenticated", "send Authorization: Bearer <agent token>");

  const row = await db.get<{ id: string; service: string; environment: string }>(
    "SELECT id, service, environment FROM agent_tokens WHERE token_hash = ? AND revoked_at IS NULL",
    [hashSecret(token)],
  );
  if (row === undefined)
    throw new HttpError(401, "unauthenticated", "unknown or revoked agent token");
  return { tokenId: row.id, service: row.service, environment: row.environment };
}
