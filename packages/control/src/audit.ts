import type { Database } from "./store/database";
import { newId } from "./auth/tokens";

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly reason: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Records who did what to which object, when and why. Call it in the same transaction as the change. */
export async function audit(db: Database, entry: AuditEntry): Promise<void> {
  await db.run(
    "INSERT INTO audit_log (id, at, actor, action, target, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [
      newId(),
      Date.now(),
      entry.actor,
      entry.action,
      entry.target,
      entry.reason,
      JSON.stringify(entry.detail ?? {}),
    ],
  );
}

export async function listAudit(db: Database, limit: number): Promise<Record<string, unknown>[]> {
  const rows = await db.all("SELECT * FROM audit_log ORDER BY at DESC LIMIT ?", [limit]);
  return rows.map((row) => ({ ...row, detail: JSON.parse(String(row.detail)) as unknown }));
}
