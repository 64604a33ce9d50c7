import { existsSync, readdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";

import { addAdminRoutes } from "./api/admin-api";
import { addAgentRoutes } from "./api/agent-api";
import { evaluateRollouts } from "./fleet/rollout-evaluator";
import { HttpError } from "./http/errors";
import { Router } from "./http/router";
import { sendStaticFile } from "./http/static-files";
import { log } from "./log";
import type { Database } from "./store/database";

/** Folder of the dashboard's files, shipped beside dist/. */
export const uiFolder = path.resolve(__dirname, "../ui");

/** How often canaries are checked against their thresholds, in milliseconds. */
const evaluationIntervalMs = 2000;

/**
 * Headers on every response. The dashboard loads only its own scripts and styles, so injected
 * markup (an event payload rendered by mistake) cannot run script or load anything.
 */
const securityHeaders = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export interface ControlPlane {
  readonly server: http.Server;
  readonly url: string;
  close(): Promise<void>;
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(text);
}

function uiFiles(): Set<string> {
  return existsSync(uiFolder) ? new Set(readdirSync(uiFolder)) : new Set();
}

/** Starts the control plane's HTTP server on an open database. */
export async function startServer(
  db: Database,
  options: { port: number; host: string },
): Promise<ControlPlane> {
  const router = new Router();
  addAgentRoutes(router, db);
  addAdminRoutes(router, db);
  const files = uiFiles();

  const server = http.createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    void handle(req, res);
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://control.invalid");
    } catch {
      sendJson(res, 400, { error: { code: "bad_request", message: "malformed URL" } });
      return;
    }

    try {
      if (!url.pathname.startsWith("/api/")) {
        const name = url.pathname === "/" ? "index.html" : url.pathname.slice(1);
        if (req.method === "GET" && files.has(name)) await sendStaticFile(res, uiFolder, name);
        else
          sendJson(res, 404, { error: { code: "not_found", message: `no page ${url.pathname}` } });
        return;
      }

      const match = router.match(req.method ?? "GET", url.pathname);
      if ("allowed" in match) {
        if (match.allowed.length === 0)
          throw new HttpError(404, "not_found", `no API route ${url.pathname}`);
        throw new HttpError(405, "method_not_allowed", `use ${match.allowed.join(" or ")}`, {
          allow: match.allowed.join(", "),
        });
      }
      const body = await match.handler({ req, res, url, params: match.params });
      if (body !== undefined) sendJson(res, res.statusCode === 200 ? 200 : res.statusCode, body);
    } catch (error) {
      if (error instanceof HttpError) {
        sendJson(
          res,
          error.status,
          { error: { code: error.code, message: error.message } },
          { ...error.headers },
        );
        return;
      }
      const err = error as Error;
      log.error(
        {
          method: req.method,
          path: url.pathname,
          err: { name: err.name, message: err.message, stack: err.stack },
        },
        "request failed",
      );
      sendJson(res, 500, {
        error: { code: "internal", message: "internal error; see the control plane's log" },
      });
    }
  }

  const evaluator = setInterval(() => {
    evaluateRollouts(db).then(
      (decided) => {
        for (const rollout of decided) {
          log.info(
            {
              rollout_id: rollout.id,
              service: rollout.service,
              environment: rollout.environment,
              state: rollout.state,
              reason: rollout.reason,
            },
            "rollout decided automatically",
          );
        }
      },
      (error: Error) =>
        log.error(
          { err: { name: error.name, message: error.message } },
          "rollout evaluation failed; retrying at the next interval",
        ),
    );
  }, evaluationIntervalMs);
  evaluator.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    server,
    url: `http://${host}:${address.port}`,
    close: async () => {
      clearInterval(evaluator);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
