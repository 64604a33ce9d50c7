import type { Database, SqlValue } from "../store/database";
import { badRequest, notFound } from "../http/errors";

/** Filters of the event list; every one optional. Times are milliseconds since the epoch. */
export interface EventFilter {
  readonly from?: number;
  readonly to?: number;
  readonly service?: string;
  readonly environment?: string;
  readonly attackType?: string;
  readonly action?: string;
  readonly route?: string;
  readonly clientIp?: string;
  readonly falsePositive?: boolean;
}

/** The columns of an event in lists; the payload is loaded for one event at a time. */
const listColumns =
  "id, service, environment, agent_id, time, attack_type, action, sink, route, client_ip, input_path, policy_version, trace_id, false_positive";

export interface EventSummary {
  id: string;
  service: string;
  environment: string;
  agent_id: string;
  time: number;
  attack_type: string;
  action: string;
  sink: string;
  route: string | null;
  client_ip: string | null;
  input_path: string | null;
  policy_version: string | null;
  trace_id: string | null;
  false_positive: boolean;
}

function normalize(row: Record<string, unknown>): EventSummary {
  return {
    ...(row as unknown as EventSummary),
    time: Number(row.time),
    false_positive: Number(row.false_positive) === 1,
  };
}

/** Builds the WHERE clause of a filter, with `?` placeholders. */
export function whereClause(filter: EventFilter): { sql: string; params: SqlValue[] } {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  const add = (condition: string, value: SqlValue | undefined) => {
    if (value === undefined) return;
    conditions.push(condition);
    params.push(value);
  };
  add("time >= ?", filter.from);
  add("time < ?", filter.to);
  add("service = ?", filter.service);
  add("environment = ?", filter.environment);
  add("attack_type = ?", filter.attackType);
  add("action = ?", filter.action);
  add("route = ?", filter.route);
  add("client_ip = ?", filter.clientIp);
  if (filter.falsePositive !== undefined) add("false_positive = ?", filter.falsePositive ? 1 : 0);
  return { sql: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params };
}

/**
 * Lists events newest first. `before` is the cursor from the previous page (`<time>:<id>`), so
 * pages stay stable while new events arrive.
 */
export async function listEvents(
  db: Database,
  filter: EventFilter,
  page: { limit: number; before?: string },
): Promise<{ events: EventSummary[]; next: string | null }> {
  const { sql, params } = whereClause(filter);
  let cursorSql = "";
  if (page.before !== undefined) {
    const separator = page.before.indexOf(":");
    const time = Number(page.before.slice(0, separator));
    if (separator <= 0 || !Number.isFinite(time))
      throw badRequest("before must be a cursor from a previous page");
    cursorSql = `${sql === "" ? "WHERE" : " AND"} (time < ? OR (time = ? AND id < ?))`;
    params.push(time, time, page.before.slice(separator + 1));
  }

  const rows = await db.all(
    `SELECT ${listColumns} FROM events ${sql}${cursorSql} ORDER BY time DESC, id DESC LIMIT ?`,
    [...params, page.limit + 1],
  );
  const events = rows.slice(0, page.limit).map(normalize);
  const last = events[events.length - 1];
  return {
    events,
    next: rows.length > page.limit && last !== undefined ? `${last.time}:${last.id}` : null,
  };
}

/** Loads one event with its stored payload (the agent redacted it before sending). */
export async function getEvent(
  db: Database,
  id: string,
): Promise<EventSummary & { payload: unknown; false_positive_by: string | null }> {
  const row = await db.get(
    `SELECT ${listColumns}, payload, false_positive_by FROM events WHERE id = ?`,
    [id],
  );
  if (row === undefined) throw notFound(`no event with id ${id}`);
  return {
    ...normalize(row),
    payload: JSON.parse(String(row.payload)) as unknown,
    false_positive_by: (row.false_positive_by as string | null) ?? null,
  };
}

/** Counts for dashboards: by attack type and action, by service and action, and per time bucket. */
export async function eventCounts(
  db: Database,
  filter: EventFilter,
  bucketMs: number,
): Promise<{
  byType: { attack_type: string; action: string; count: number }[];
  byService: { service: string; environment: string; action: string; count: number }[];
  overTime: { bucket: number; action: string; count: number }[];
  falsePositivesOverTime: { bucket: number; count: number }[];
}> {
  const { sql, params } = whereClause(filter);
  const byType = await db.all(
    `SELECT attack_type, action, COUNT(*) AS count FROM events ${sql} GROUP BY attack_type, action ORDER BY count DESC`,
    params,
  );
  const byService = await db.all(
    `SELECT service, environment, action, COUNT(*) AS count FROM events ${sql} GROUP BY service, environment, action ORDER BY count DESC`,
    params,
  );
  // Integer division gives the bucket in both dialects: BIGINT / BIGINT truncates.
  const bucket = `(time / ${Math.trunc(bucketMs)}) * ${Math.trunc(bucketMs)}`;
  const overTime = await db.all(
    `SELECT ${bucket} AS bucket, action, COUNT(*) AS count FROM events ${sql} GROUP BY ${bucket}, action ORDER BY bucket`,
    params,
  );
  const fp = whereClause({ ...filter, falsePositive: true });
  const falsePositivesOverTime = await db.all(
    `SELECT ${bucket} AS bucket, COUNT(*) AS count FROM events ${fp.sql} GROUP BY ${bucket} ORDER BY bucket`,
    fp.params,
  );
  return {
    byType: byType.map((row) => ({
      attack_type: String(row.attack_type),
      action: String(row.action),
      count: Number(row.count),
    })),
    byService: byService.map((row) => ({
      service: String(row.service),
      environment: String(row.environment),
      action: String(row.action),
      count: Number(row.count),
    })),
    overTime: overTime.map((row) => ({
      bucket: Number(row.bucket),
      action: String(row.action),
      count: Number(row.count),
    })),
    falsePositivesOverTime: falsePositivesOverTime.map((row) => ({
      bucket: Number(row.bucket),
      count: Number(row.count),
    })),
  };
}
