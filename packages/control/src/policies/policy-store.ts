import { createHash } from "node:crypto";

import { checkPolicyText } from "rampart";

import { audit } from "../audit";
import { newId } from "../auth/tokens";
import { HttpError, badRequest, notFound } from "../http/errors";
import type { Database } from "../store/database";

/** Largest policy text accepted, in bytes. */
export const maxPolicyBytes = 256 * 1024;

export interface PolicyRow {
  id: string;
  service: string;
  environment: string;
  version: number;
  content: string;
  content_hash: string;
  comment: string;
  created_by: string;
  created_at: number;
}

/** Service and environment names: what a token scope and a URL can carry safely. */
const namePattern = /^[A-Za-z0-9][\w.-]{0,99}$/;

export function checkName(kind: string, value: unknown): string {
  if (typeof value !== "string" || !namePattern.test(value)) {
    throw badRequest(
      `${kind} must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return value;
}

/**
 * The version under which a stored policy is delivered and acknowledged:
 * `<service>/<environment>@<n>`. It takes the place of the text's own `version` key in the agent,
 * so every acknowledgement names one stored row.
 */
export function deliveredVersion(
  row: Pick<PolicyRow, "service" | "environment" | "version">,
): string {
  return `${row.service}/${row.environment}@${row.version}`;
}

/** Stores a new version of a service's policy after checking it exactly as the agent will. */
export async function createPolicy(
  db: Database,
  fields: { service: string; environment: string; content: string; comment: string; actor: string },
): Promise<PolicyRow> {
  if (Buffer.byteLength(fields.content) > maxPolicyBytes) {
    throw new HttpError(
      413,
      "payload_too_large",
      `a policy may have at most ${maxPolicyBytes} bytes`,
    );
  }
  const check = checkPolicyText(fields.content, `${fields.service}/${fields.environment}`);
  if (!check.ok) {
    throw new HttpError(
      422,
      "invalid_policy",
      `the policy is invalid:\n${check.problems.join("\n")}`,
    );
  }

  return db.withLock(`policies:${fields.service}:${fields.environment}`, async (locked) => {
    const last = await locked.get<{ version: number }>(
      "SELECT MAX(version) AS version FROM policies WHERE service = ? AND environment = ?",
      [fields.service, fields.environment],
    );
    const row: PolicyRow = {
      id: newId(),
      service: fields.service,
      environment: fields.environment,
      version: Number(last?.version ?? 0) + 1,
      content: fields.content,
      content_hash: createHash("sha256").update(fields.content).digest("hex"),
      comment: fields.comment,
      created_by: fields.actor,
      created_at: Date.now(),
    };
    await locked.run(
      `INSERT INTO policies (id, service, environment, version, content, content_hash, comment, created_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.id,
        row.service,
        row.environment,
        row.version,
        row.content,
        row.content_hash,
        row.comment,
        row.created_by,
        row.created_at,
      ],
    );
    await audit(locked, {
      actor: fields.actor,
      action: "policy.create",
      target: deliveredVersion(row),
      reason: fields.comment,
      detail: { policy_id: row.id, content_hash: row.content_hash },
    });
    return row;
  });
}

export async function getPolicy(db: Database, id: string): Promise<PolicyRow> {
  const row = await db.get<PolicyRow & Record<string, unknown>>(
    "SELECT * FROM policies WHERE id = ?",
    [id],
  );
  if (row === undefined) throw notFound(`no policy with id ${id}`);
  return normalize(row);
}

export async function listPolicies(
  db: Database,
  filter: { service?: string; environment?: string },
): Promise<Omit<PolicyRow, "content">[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.service !== undefined) {
    where.push("service = ?");
    params.push(filter.service);
  }
  if (filter.environment !== undefined) {
    where.push("environment = ?");
    params.push(filter.environment);
  }
  const rows = await db.all<PolicyRow & Record<string, unknown>>(
    `SELECT id, service, environment, version, content_hash, comment, created_by, created_at FROM policies
     ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
     ORDER BY service, environment, version DESC LIMIT 500`,
    params,
  );
  return rows.map(normalize);
}

function normalize<T extends { version: number; created_at: number }>(row: T): T {
  return { ...row, version: Number(row.version), created_at: Number(row.created_at) };
}
