import assert from "node:assert/strict";
import { createServer } from "node:net";

import {
  ensureFirstAdmin,
  openDatabase,
  startServer,
  type ControlPlane,
  type Database,
} from "../../../control/src/index";
import { AdminClient } from "../../../control/test/helpers/control-client";
import { createSqliteDatabase, type TestDatabase } from "../../../control/test/helpers/databases";

const adminPassword = "agent tests only";

/** A control plane on SQLite in the test process, which a test can stop and start again on its port. */
export class TestControlPlane {
  private constructor(
    readonly database: TestDatabase,
    readonly db: Database,
    private plane: ControlPlane | undefined,
    readonly port: number,
    readonly admin: AdminClient,
  ) {}

  static async start(): Promise<TestControlPlane> {
    const database = await createSqliteDatabase();
    const db = await openDatabase(database.location);
    await ensureFirstAdmin(db, "admin", adminPassword);
    const plane = await startServer(db, { port: 0, host: "127.0.0.1" });
    const admin = await AdminClient.signIn(plane.url, "admin", adminPassword);
    return new TestControlPlane(database, db, plane, Number(new URL(plane.url).port), admin);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops the HTTP server; the database stays open for the restart. */
  async stopServer(): Promise<void> {
    await this.plane?.close();
    this.plane = undefined;
  }

  /** Starts the HTTP server again on the same port and database. */
  async restartServer(): Promise<void> {
    this.plane = await startServer(this.db, { port: Number(this.port), host: "127.0.0.1" });
  }

  async close(): Promise<void> {
    await this.stopServer();
    await this.db.close();
    await this.database.drop();
  }

  async createToken(service: string, environment: string): Promise<string> {
    const created = await this.admin.request<{ token: string }>("POST", "/api/tokens", {
      name: `${service} agents`,
      service,
      environment,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.token;
  }

  async createPolicy(
    service: string,
    environment: string,
    content: string,
  ): Promise<{ id: string; version: number }> {
    const response = await this.admin.request<{ id: string; version: number }>(
      "POST",
      "/api/policies",
      { service, environment, content, comment: "test policy" },
    );
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  }

  async rollout(
    policyId: string,
    canaryPercent: number,
    thresholds?: Record<string, number>,
  ): Promise<{ id: string; state: string }> {
    const response = await this.admin.request<{ id: string; state: string }>(
      "POST",
      "/api/rollouts",
      { policy_id: policyId, canary_percent: canaryPercent, thresholds, reason: "test rollout" },
    );
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  }

  async agents(service: string): Promise<AgentView[]> {
    const response = await this.admin.request<{ agents: AgentView[] }>(
      "GET",
      `/api/agents?service=${service}`,
    );
    assert.equal(response.status, 200);
    return response.body.agents;
  }
}

/** An agent as GET /api/agents lists it. */
export interface AgentView {
  readonly id: string;
  readonly instance: string;
  readonly agent_version: string;
  readonly node_version: string;
  readonly canary_draw: number;
  readonly applied_version: string | null;
  readonly applied_at: number | null;
  readonly rejected_version: string | null;
  readonly rejected_problems: string[] | null;
  readonly online: boolean;
  readonly stats: Record<string, number>;
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A loopback port that was free a moment ago, for a server whose port must be known in advance. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
