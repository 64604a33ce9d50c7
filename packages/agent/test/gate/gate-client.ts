import http from "node:http";

import { startApp, type RunningApp, type SecurityEvent } from "../helpers/app-process";

export interface GateReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface GateRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Loopback source address, such as 127.0.0.7 or ::1. */
  readonly localAddress?: string;
}

/** Sends one request over a fresh connection, so that each can come from its own source address. */
export function send(url: string, request: GateRequest = {}): Promise<GateReply> {
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers: Record<string, string> = {
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ...request.headers,
  };
  if (body !== undefined) headers["content-type"] = "application/json";

  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: request.method ?? "GET",
        headers,
        localAddress: request.localAddress,
        agent: false,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Starts a gate fixture with the policy's gate settings. */
export function startGateApp(
  script: string,
  policy: unknown,
  env: Record<string, string> = {},
): Promise<RunningApp> {
  return startApp({
    script,
    loader: script.endsWith(".mjs") ? "import" : "require",
    mode: "block",
    env: { RAMPART_TEST_GATE_POLICY: JSON.stringify(policy), ...env },
  });
}

/** Returns the URL of gate-express.cjs's IPv6 listener, which uses the same port as the IPv4 one. */
export function ipv6UrlOf(app: RunningApp): string {
  return app.url.replace("127.0.0.1", "[::1]");
}

/** Waits until `count` events match, polling for up to `timeoutMs`; returns the matching events. */
export async function waitForMatching(
  app: RunningApp,
  matches: (event: SecurityEvent) => boolean,
  count = 1,
  timeoutMs = 5_000,
): Promise<SecurityEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = app.events().filter(matches);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
