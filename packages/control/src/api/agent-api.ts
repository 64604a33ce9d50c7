import { requireAgent } from "../auth/agent-tokens";
import { ingestEvents } from "../events/event-store";
import {
  agentInScope,
  heartbeatSeconds,
  recordApplied,
  recordHeartbeat,
  registerAgent,
} from "../fleet/agent-store";
import { currentDelivery, waitForDelivery } from "../fleet/policy-delivery";
import { HttpError, badRequest } from "../http/errors";
import { readJson } from "../http/request";
import type { Router } from "../http/router";
import type { Database } from "../store/database";

/** Largest event batch body, in bytes. */
const eventBodyLimit = 4 * 1024 * 1024;
/** Event batches stored at once by this replica; more are refused with 429 until one finishes. */
const maxConcurrentIngests = 4;

function objectBody(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw badRequest("the body must be a JSON object");
  return value as Record<string, unknown>;
}

/** Routes that agents call with their token: register, heartbeat, policy, acknowledgement, events. */
export function addAgentRoutes(router: Router, db: Database): void {
  let ingesting = 0;

  router.add("POST", "/api/agents/register", async ({ req }) => {
    const scope = await requireAgent(db, req);
    const agent = await registerAgent(db, scope, objectBody(await readJson(req)));
    return {
      agent_id: agent.id,
      service: agent.service,
      environment: agent.environment,
      heartbeat_seconds: heartbeatSeconds,
    };
  });

  router.add("POST", "/api/agents/:id/heartbeat", async ({ req, params }) => {
    const scope = await requireAgent(db, req);
    const agent = await agentInScope(db, scope, params.id as string);
    await recordHeartbeat(db, agent, objectBody(await readJson(req)));
    return { ok: true };
  });

  router.add("GET", "/api/agents/:id/policy", async ({ req, res, url, params }) => {
    const scope = await requireAgent(db, req);
    const agent = await agentInScope(db, scope, params.id as string);
    const known = req.headers["if-none-match"];
    const wait = Number(url.searchParams.get("wait") ?? "0");
    if (!Number.isFinite(wait) || wait < 0) throw badRequest("wait must be a number of seconds");

    const aborted = new AbortController();
    res.once("close", () => aborted.abort());
    const delivery =
      wait === 0 && known === undefined
        ? await currentDelivery(db, agent)
        : await waitForDelivery(db, agent, known, wait, aborted.signal);

    if (delivery === undefined) {
      res.writeHead(304, { etag: known ?? "" }).end();
      return undefined;
    }
    res.setHeader("etag", delivery.etag);
    return { version: delivery.version, content: delivery.content };
  });

  router.add("POST", "/api/agents/:id/ack", async ({ req, params }) => {
    const scope = await requireAgent(db, req);
    const agent = await agentInScope(db, scope, params.id as string);
    const body = objectBody(await readJson(req));
    if (body.version !== null && typeof body.version !== "string")
      throw badRequest("version must be a string or null");
    await recordApplied(db, agent, body.version);
    return { ok: true };
  });

  router.add("POST", "/api/agents/:id/events", async ({ req, res, params }) => {
    const scope = await requireAgent(db, req);
    const agent = await agentInScope(db, scope, params.id as string);
    if (ingesting >= maxConcurrentIngests) {
      throw new HttpError(429, "busy", "the event store is busy; retry the batch later", {
        "retry-after": "2",
      });
    }

    ingesting += 1;
    try {
      const body = objectBody(await readJson(req, eventBodyLimit));
      const result = await ingestEvents(db, agent, body.events);
      res.statusCode = 202;
      return result;
    } finally {
      ingesting -= 1;
    }
  });
}
