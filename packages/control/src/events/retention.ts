import type { Database } from "../store/database";

/** Default age after which events are deleted, in days. */
export const defaultRetentionDays = 30;
/** Most rows deleted per statement, so one pass never holds a long lock on a busy table. */
const deleteBatch = 5000;

/** Deletes events and snapshots older than `days`; returns how many events went. */
export async function deleteOldEvents(
  db: Database,
  days: number,
  now = Date.now(),
): Promise<number> {
  const cutoff = now - days * 24 * 60 * 60 * 1000;
  let total = 0;
  for (;;) {
    const deleted = await db.run(
      `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? LIMIT ${deleteBatch})`,
      [cutoff],
    );
    total += deleted;
    if (deleted < deleteBatch) break;
  }

  // Snapshots go by the same age, counted from their arrival.
  for (;;) {
    const deleted = await db.run(
      `DELETE FROM snapshots WHERE event_id IN (SELECT event_id FROM snapshots WHERE received_at < ? LIMIT ${deleteBatch})`,
      [cutoff],
    );
    if (deleted < deleteBatch) return total;
  }
}
