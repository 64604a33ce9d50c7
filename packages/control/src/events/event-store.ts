import type { Database, SqlValue } from "../store/database";
import { badRequest } from "../http/errors";
import type { AgentRow } from "../fleet/agent-store";

/** Maximum events in one batch, and maximum bytes of one stored event. */
export const maxBatchEvents = 1000;
export const maxEventBytes = 16 * 1024;

/** The indexed fields of an event; the whole redacted event is kept as JSON beside them. */
interface StoredEvent {
  readonly id: string;
  readonly time: number;
  readonly attack_type: string;
  readonly action: string;
  readonly sink: string;
  readonly route: string | null;
  readonly client_ip: string | null;
  readonly input_path: string | null;
  readonly policy_version: string | null;
  readonly trace_id: string | null;
  readonly payload: string;
}

const idPattern = /^[\w-]{1,64}$/;

function optionalText(value: unknown, max: number): string | null {
  return typeof value === "string" ? value.slice(0, max) : null;
}

/** Checks one event of a batch; returns the reason when it cannot be stored. */
function toStored(raw: unknown): StoredEvent | string {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "not an object";
  const event = raw as Record<string, unknown>;

  if (typeof event.event_id !== "string" || !idPattern.test(event.event_id))
    return "event_id missing or malformed";
  const time = typeof event.time === "string" ? Date.parse(event.time) : Number.NaN;
  if (Number.isNaN(time)) return "time missing or not an ISO date";
  for (const field of ["attack_type", "action", "sink"]) {
    const value = event[field];
    if (typeof value !== "string" || value.length === 0 || value.length > 100)
      return `${field} missing or too long`;
  }

  const payload = JSON.stringify(event);
  if (Buffer.byteLength(payload) > maxEventBytes) return `larger than ${maxEventBytes} bytes`;

  const request = (
    typeof event.request === "object" && event.request !== null ? event.request : {}
  ) as Record<string, unknown>;
  const input = (
    typeof event.input === "object" && event.input !== null ? event.input : {}
  ) as Record<string, unknown>;
  return {
    id: event.event_id,
    time,
    attack_type: event.attack_type as string,
    action: event.action as string,
    sink: event.sink as string,
    route: optionalText(request.route ?? request.path, 500),
    client_ip: optionalText(request.client_ip, 64),
    input_path: optionalText(input.path, 300),
    policy_version: optionalText(event.policy_version, 200),
    trace_id: optionalText(event.trace_id, 32),
    payload,
  };
}

/**
 * Stores a batch of an agent's events. Events already stored (an agent retrying a batch whose
 * response it missed) are skipped. Malformed ones are counted and skipped, with the first reasons.
 */
export async function ingestEvents(
  db: Database,
  agent: AgentRow,
  batch: unknown,
): Promise<{ accepted: number; duplicates: number; rejected: number; reasons: string[] }> {
  if (!Array.isArray(batch)) throw badRequest("events must be an array");
  if (batch.length > maxBatchEvents) throw badRequest(`at most ${maxBatchEvents} events per batch`);

  const reasons: string[] = [];
  const stored: StoredEvent[] = [];
  batch.forEach((raw, index) => {
    const result = toStored(raw);
    if (typeof result === "string") {
      if (reasons.length < 5) reasons.push(`events[${index}]: ${result}`);
    } else {
      stored.push(result);
    }
  });

  const receivedAt = Date.now();
  let accepted = 0;
  await db.transaction(async (tx) => {
    for (const event of stored) {
      const params: SqlValue[] = [
        event.id,
        agent.service,
        agent.environment,
        agent.id,
        event.time,
        event.attack_type,
        event.action,
        event.sink,
        event.route,
        event.client_ip,
        event.input_path,
        event.policy_version,
        event.trace_id,
        event.payload,
        receivedAt,
      ];
      accepted += await tx.run(
        `INSERT INTO events (id, service, environment, agent_id, time, attack_type, action, sink, route, client_ip,
           input_path, policy_version, trace_id, payload, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        params,
      );
    }
  });
  return {
    accepted,
    duplicates: stored.length - accepted,
    rejected: batch.length - stored.length,
    reasons,
  };
}
