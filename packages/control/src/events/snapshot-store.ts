import type { AgentRow } from "../fleet/agent-store";
import { badRequest } from "../http/errors";
import type { Database } from "../store/database";

/** Maximum snapshots in one batch; an agent sends a few at a time. */
export const maxBatchSnapshots = 50;
/** Largest snapshot kept, in characters of JSON; the agent's own snapshots stay well below it. */
export const maxSnapshotChars = 256 * 1024;

/**
 * Stores the forensic snapshots of a batch, keyed by the id of the event each one describes. A
 * snapshot sent again (a retried batch) is skipped. Malformed ones are counted and skipped.
 */
export async function ingestSnapshots(
  db: Database,
  agent: AgentRow,
  batch: unknown,
): Promise<{ accepted: number; rejected: number }> {
  if (batch === undefined) return { accepted: 0, rejected: 0 };
  if (!Array.isArray(batch)) throw badRequest("snapshots must be an array");
  if (batch.length > maxBatchSnapshots) {
    throw badRequest(`at most ${maxBatchSnapshots} snapshots per batch`);
  }

  const valid: { eventId: string; content: string }[] = [];
  for (const raw of batch) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) continue;
    const eventId = (raw as { event_id?: unknown }).event_id;
    if (typeof eventId !== "string" || eventId.length === 0 || eventId.length > 100) continue;
    const content = JSON.stringify(raw);
    if (content.length > maxSnapshotChars) continue;
    valid.push({ eventId, content });
  }

  const receivedAt = Date.now();
  let accepted = 0;
  await db.transaction(async (tx) => {
    for (const { eventId, content } of valid) {
      accepted += await tx.run(
        `INSERT INTO snapshots (event_id, service, environment, agent_id, received_at, content)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
        [eventId, agent.service, agent.environment, agent.id, receivedAt, content],
      );
    }
  });
  return { accepted, rejected: batch.length - valid.length };
}

/** Returns the snapshot of an event, or null when its agent sent none. */
export async function getSnapshot(db: Database, eventId: string): Promise<unknown> {
  const row = await db.get<{ content: string }>(
    "SELECT content FROM snapshots WHERE event_id = ?",
    [eventId],
  );
  return row === undefined ? null : (JSON.parse(row.content) as unknown);
}
