import { existsSync, readdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";

import { addAdminRoutes } from "./api/admin-api";
import { addAgentRoutes } from "./api/agent-api";
import { addEventRoutes } from "./api/events-api";
import { evaluateAlerts } from "./alerts/alert-evaluator";
import { defaultRetentionDays, deleteOldEvents } from "./events/retention";
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
/** How often alert rules are checked, in milliseconds. */
const alertIntervalMs = 15_000;
/** How often old events are deleted, in milliseconds. */
const retentionIntervalMs = 60 * 60 * 1000;

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

/** Runs a background job at an interval; a failure is logged and the job runs again next time. */
/** A background job on a timer; `running` is its run in progress, which `close` waits for. */
interface BackgroundJob {
  readonly timer: NodeJS.Timeout;
  running: Promise<void> | undefined;
}

function every(intervalMs: number, name: string, job: () => Promise<void>): BackgroundJob {
  const background: BackgroundJob = {
    timer: setInterval(() => {
      // A slow database must not pile up runs of the same job.
      if (background.running !== undefined) return;
      background.running = job()
        .catch((error: Error) =>
          log.error(
            { job: name, err: { name: error.name, message: error.message } },
            `${name} failed; retrying at the next interval`,
          ),
        )
        .finally(() => (background.running = undefined));
    }, intervalMs),
    running: undefined,
  };
  background.timer.unref();
  return background;
}

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

/** Paths of the dashboard's files relative to its folder, such as `views/events.js`. */
function uiFiles(): Set<string> {
  if (!existsSync(uiFolder)) return new Set();
  const entries = readdirSync(uiFolder, { recursive: true, withFileTypes: true });
  return new Set(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(uiFolder, path.join(entry.parentPath, entry.name)))
      .map((name) => name.split(path.sep).join("/")),
  );
}

/** Starts the control plane's HTTP server on an open database. */
export async function startServer(
  db: Database,
  options: { port: number; host: string; retentionDays?: number },
): Promise<ControlPlane> {
  const router = new Router();
  addAgentRoutes(router, db);
  addAdminRoutes(router, db);
  addEventRoutes(router, db);
  const files = uiFiles();

  // Requests being handled, so that `close` can wait for them: a long poll still checking the
  // database when the caller closes it next would fail on a closed pool.
  const inFlight = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    const handled = handle(req, res);
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
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
        // HEAD, which load balancers and uptime checks send, gets the headers of GET (Node leaves
        // the body out).
        const readsPage = req.method === "GET" || req.method === "HEAD";
        if (readsPage && files.has(name)) await sendStaticFile(res, uiFolder, name);
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
      const err = error as NodeJS.ErrnoException;
      // A client that closed the connection while its body was read (an agent stopping) is not a
      // server fault, and no client is left to respond to.
      if (req.destroyed && err.code === "ECONNRESET") {
        log.info(
          { method: req.method, path: url.pathname },
          "client closed the connection before its request was read",
        );
        return;
      }
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

  const jobs = [
    every(evaluationIntervalMs, "rollout evaluation", async () => {
      for (const rollout of await evaluateRollouts(db)) {
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
    }),
    every(alertIntervalMs, "alert evaluation", async () => {
      for (const { rule, value } of await evaluateAlerts(db)) {
        log.info(
          { rule_id: rule.id, metric: rule.metric, value, threshold: rule.threshold },
          "alert fired",
        );
      }
    }),
    every(retentionIntervalMs, "event retention", async () => {
      const deleted = await deleteOldEvents(db, options.retentionDays ?? defaultRetentionDays);
      if (deleted > 0) log.info({ deleted }, "old events deleted");
    }),
  ];

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
      for (const job of jobs) clearInterval(job.timer);
      // Closing the connections ends each long poll at its next check (its response closes).
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...inFlight, ...jobs.map((job) => job.running)]);
    },
  };
}
