import assert from "node:assert/strict";

import {
  ensureFirstAdmin,
  openDatabase,
  startServer,
  type ControlPlane,
  type Database,
} from "../../src/index";
import type { TestDatabase } from "./databases";

export const adminPassword = "correct horse battery staple";

/** A control plane started in the test process on a test database, with a signed-in admin client. */
export interface RunningControl {
  readonly plane: ControlPlane;
  readonly db: Database;
  readonly admin: AdminClient;
  stop(): Promise<void>;
}

export async function startControl(database: TestDatabase): Promise<RunningControl> {
  const db = await openDatabase(database.location);
  await ensureFirstAdmin(db, "admin", adminPassword);
  const plane = await startServer(db, { port: 0, host: "127.0.0.1" });
  const admin = await AdminClient.signIn(plane.url, "admin", adminPassword);
  return {
    plane,
    db,
    admin,
    stop: async () => {
      await plane.close();
      await db.close();
    },
  };
}

export interface JsonResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

async function json<T>(response: Response): Promise<JsonResponse<T>> {
  const text = await response.text();
  return {
    status: response.status,
    body: (text === "" ? {} : JSON.parse(text)) as T,
    headers: response.headers,
  };
}

/** Calls the API as a signed-in admin: session cookie and CSRF token on every call. */
export class AdminClient {
  private constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    readonly csrfToken: string,
  ) {}

  static async signIn(baseUrl: string, username: string, password: string): Promise<AdminClient> {
    const response = await fetch(`${baseUrl}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
    const body = (await response.json()) as { csrf_token: string };
    return new AdminClient(baseUrl, cookie, body.csrf_token);
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<JsonResponse<T>> {
    const headers: Record<string, string> = { cookie: this.cookie, "x-csrf-token": this.csrfToken };
    if (body !== undefined) headers["content-type"] = "application/json";
    return json<T>(
      await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  }
}

/** Calls the agent API with a token, as an agent would. */
export async function agentRequest<T = Record<string, unknown>>(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...extraHeaders };
  if (body !== undefined) headers["content-type"] = "application/json";
  return json<T>(
    await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

/** Creates an agent token for `service` and `environment` and returns its secret. */
export async function createAgentToken(
  admin: AdminClient,
  service: string,
  environment: string,
): Promise<string> {
  const created = await admin.request<{ token: string }>("POST", "/api/tokens", {
    name: `${service} agents`,
    service,
    environment,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.token;
}

/** Registers an agent as `instance` with `token` and returns its id. */
export async function registerAgent(
  baseUrl: string,
  token: string,
  instance: string,
): Promise<string> {
  const registered = await agentRequest<{ agent_id: string }>(
    baseUrl,
    token,
    "POST",
    "/api/agents/register",
    { instance, agent_version: "0.1.0", node_version: process.version },
  );
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  return registered.body.agent_id;
}
