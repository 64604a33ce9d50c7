import http from "node:http";
import https from "node:https";

import { contextStorage } from "../context/storage";
import { agentVersion } from "../version";
import { retryDelayMs, sleep } from "./backoff";
import type { ConnectionHealth } from "./connection-health";
import type { ControlSettings } from "./control-config";

/** Largest response body read from the control plane, in bytes (a policy is at most 256 KiB). */
const maxResponseBytes = 1024 * 1024;
/** Time limit of a call other than the policy long poll, in milliseconds. */
export const callTimeoutMs = 10_000;

/** A response of the control plane: status, headers and the parsed JSON body (undefined when empty). */
export interface ControlResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

export interface CallOptions {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Aborts the call, for a long poll that must end when the agent stops. */
  readonly signal?: AbortSignal;
}

/** Error of a call that got an HTTP response other than the expected one. */
export class ControlHttpError extends Error {
  constructor(
    readonly status: number,
    readonly response: ControlResponse,
  ) {
    const detail = (response.body as { error?: { message?: unknown } } | undefined)?.error?.message;
    super(`HTTP ${status}${typeof detail === "string" ? `: ${detail}` : ""}`);
  }
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { error: { message: text.slice(0, 200) } };
  }
}

/**
 * The agent's connection to the control plane: authenticated JSON calls and the registration that
 * gives the agent its id. Calls run outside any request context, so the agent's own outgoing
 * requests are never inspected as the app's, and their sockets never keep the process alive.
 */
export class ControlClient {
  /** Seconds between heartbeats, as the control plane asked at registration. */
  heartbeatSeconds = 10;

  private readonly transport: typeof http | typeof https;
  private readonly httpAgent: http.Agent;
  private agentId: string | undefined;
  private registration: Promise<string> | undefined;
  private closed = false;

  constructor(
    readonly settings: ControlSettings,
    readonly health: ConnectionHealth,
  ) {
    const secure = settings.baseUrl.protocol === "https:";
    this.transport = secure ? https : http;
    this.httpAgent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 4 })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one call; resolves with any HTTP response, rejects on network errors and time-outs. */
  call(method: string, path: string, options: CallOptions = {}): Promise<ControlResponse> {
    return contextStorage.exit(() => this.send(method, path, options));
  }

  /** Resolves with the agent id, registering first and retrying with backoff until it succeeds. */
  registered(): Promise<string> {
    if (this.agentId !== undefined) return Promise.resolve(this.agentId);
    this.registration ??= this.registerWithRetries().finally(() => {
      this.registration = undefined;
    });
    return this.registration;
  }

  /** Forgets the agent id after the control plane reported it unknown (404), so the next call registers again. */
  forgetRegistration(id: string): void {
    if (this.agentId === id) this.agentId = undefined;
  }

  /** Stops every retry loop; calls in flight end with their sockets. */
  close(): void {
    this.closed = true;
    this.httpAgent.destroy();
  }

  private async registerWithRetries(): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error("the control plane client is stopped");
      try {
        const response = await this.call("POST", "api/agents/register", {
          body: {
            instance: this.settings.instance,
            agent_version: agentVersion,
            node_version: process.version,
          },
        });
        if (response.status !== 200) throw new ControlHttpError(response.status, response);

        const body = response.body as { agent_id?: unknown; heartbeat_seconds?: unknown };
        if (typeof body.agent_id !== "string") throw new Error("registration returned no agent_id");
        if (typeof body.heartbeat_seconds === "number" && body.heartbeat_seconds >= 1)
          this.heartbeatSeconds = body.heartbeat_seconds;
        this.health.succeeded();
        this.agentId = body.agent_id;
        return body.agent_id;
      } catch (error) {
        this.health.failed("register", (error as Error).message);
        await sleep(retryDelayMs(attempt));
      }
    }
  }

  private send(method: string, path: string, options: CallOptions): Promise<ControlResponse> {
    const url = new URL(path, this.settings.baseUrl);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const timeoutMs = options.timeoutMs ?? callTimeoutMs;
    const headers: Record<string, string | number> = {
      ...options.headers,
      accept: "application/json",
      authorization: `Bearer ${this.settings.token}`,
      "user-agent": `rampart/${agentVersion}`,
    };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }

    return new Promise((resolve, reject) => {
      const request = this.transport.request(url, {
        method,
        headers,
        agent: this.httpAgent,
        timeout: timeoutMs,
        signal: options.signal,
      });
      request.on("socket", (socket) => socket.unref());
      request.on("timeout", () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      request.on("error", reject);
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            request.destroy(new Error(`response larger than ${maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on("error", reject);
        response.on("end", () => {
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: parseBody(Buffer.concat(chunks).toString("utf8")),
          });
        });
      });
      request.end(body);
    });
  }
}
