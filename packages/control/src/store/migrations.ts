import type { Database } from "./database";

/**
 * One step of the schema. Statements use types that SQLite and PostgreSQL both accept: TEXT,
 * INTEGER (flags, counters), BIGINT (times in milliseconds since the epoch). Ids are random text,
 * so no dialect-specific sequence is needed.
 */
interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    statements: [
      `CREATE TABLE admins (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        admin_id TEXT NOT NULL REFERENCES admins(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      )`,
      `CREATE TABLE agent_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      )`,
      `CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        instance TEXT NOT NULL,
        agent_version TEXT NOT NULL,
        node_version TEXT NOT NULL,
        canary_draw BIGINT NOT NULL,
        applied_version TEXT,
        applied_at BIGINT,
        registered_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        stats TEXT NOT NULL DEFAULT '{}'
      )`,
      `CREATE INDEX agents_service ON agents (service, environment, last_seen_at)`,
      `CREATE TABLE policies (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        version INTEGER NOT NULL,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        comment TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (service, environment, version)
      )`,
      `CREATE TABLE rollouts (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        policy_id TEXT NOT NULL REFERENCES policies(id),
        previous_policy_id TEXT REFERENCES policies(id),
        canary_percent INTEGER NOT NULL,
        state TEXT NOT NULL,
        thresholds TEXT NOT NULL,
        started_by TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        decided_by TEXT,
        decided_at BIGINT,
        reason TEXT
      )`,
      `CREATE INDEX rollouts_service ON rollouts (service, environment, started_at)`,
      `CREATE TABLE audit_log (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL
      )`,
      `CREATE INDEX audit_log_at ON audit_log (at)`,
      `CREATE TABLE events (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        time BIGINT NOT NULL,
        attack_type TEXT NOT NULL,
        action TEXT NOT NULL,
        sink TEXT NOT NULL,
        route TEXT,
        client_ip TEXT,
        input_path TEXT,
        policy_version TEXT,
        trace_id TEXT,
        payload TEXT NOT NULL,
        false_positive INTEGER NOT NULL DEFAULT 0,
        false_positive_by TEXT,
        received_at BIGINT NOT NULL
      )`,
      `CREATE INDEX events_time ON events (time)`,
      `CREATE INDEX events_service_time ON events (service, environment, time)`,
      `CREATE INDEX events_type_time ON events (attack_type, time)`,
      `CREATE TABLE alert_rules (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        metric TEXT NOT NULL,
        service TEXT,
        threshold BIGINT NOT NULL,
        window_seconds INTEGER NOT NULL,
        webhook_url TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1,
        last_fired_at BIGINT,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: "policy rejections reported by agents",
    statements: [
      // The last policy version an agent refused to apply, with the agent's problems (JSON list).
      `ALTER TABLE agents ADD COLUMN rejected_version TEXT`,
      `ALTER TABLE agents ADD COLUMN rejected_problems TEXT`,
      `ALTER TABLE agents ADD COLUMN rejected_at BIGINT`,
    ],
  },
  {
    version: 3,
    name: "event indexes for the route, client and action filters",
    statements: [
      // Each filter of the event list narrows by one column and sorts by time, newest first.
      `CREATE INDEX events_route_time ON events (route, time)`,
      `CREATE INDEX events_client_time ON events (client_ip, time)`,
      `CREATE INDEX events_action_time ON events (action, time)`,
    ],
  },
  {
    version: 4,
    name: "forensic snapshots sent by agents",
    statements: [
      // One redacted snapshot per event, as the agent wrote it to its own disk (JSON text).
      `CREATE TABLE snapshots (
        event_id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        content TEXT NOT NULL
      )`,
      `CREATE INDEX snapshots_received ON snapshots (received_at)`,
    ],
  },
];

/**
 * Brings the schema up to date. Replicas starting together on one PostgreSQL database take the
 * same lock, so each migration runs once.
 */
export async function migrate(db: Database): Promise<number[]> {
  return db.withLock("migrations", async (locked) => {
    await locked.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`,
    );
    const done = new Set(
      (await locked.all<{ version: number }>("SELECT version FROM schema_migrations")).map((row) =>
        Number(row.version),
      ),
    );

    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await locked.run(statement);
      await locked.run(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        [migration.version, migration.name, Date.now()],
      );
      applied.push(migration.version);
    }
    return applied;
  });
}
