import { requireAgent } from "../auth/agent-tokens";
import { ingestEvents } from "../events/event-store";
import { ingestSnapshots } from "../events/snapshot-store";
import {
  type AgentRow,
  agentInScope,
  heartbeatSeconds,
  recordApplied,
  recordHeartbeat,
  registerAgent,
} from "../fleet/agent-store";
import { currentDelivery, waitForDelivery } from "../fleet/policy-delivery";
import { HttpError, badRequest } from "../http/errors";
import { readJsonObject } from "../http/request";
import type { Router } from "../http/router";
import { log } from "../log";
import type { Database } from "../store/database";

/** Largest event batch body, in bytes. */
const eventBodyLimit = 4 * 1024 * 1024;
/** Event batches stored at once by this replica; more are refused with 429 until one finishes. */
const maxConcurrentIngests = 4;

/** Most problems kept from one rejection, and most characters of each. */
const maxProblems = 20;
const maxProblemLength = 500;

/**
 * An acknowledgement: `{ version }` for the version the agent now runs (null: its local settings),
 * or `{ version, ok: false, problems }` for a delivered version that it rejected.
 */
type Acknowledgement =
  { ok: true; version: string | null } | { ok: false; version: string; problems: string[] };

function readAcknowledgement(body: Record<string, unknown>): Acknowledgement {
  if (body.ok !== undefined && typeof body.ok !== "boolean")
    throw badRequest("ok must be a boolean");
  if (body.ok !== false) {
    if (body.version !== null && typeof body.version !== "string")
      throw badRequest("version must be a string or null");
    return { ok: true, version: body.version };
  }

  if (typeof body.version !== "string" || body.version.length === 0)
    throw badRequest("version must name the rejected policy version");
  const problems = body.problems ?? [];
  if (!Array.isArray(problems) || problems.some((problem) => typeof problem !== "string"))
    throw badRequest("problems must be a list of strings");
  return {
    ok: false,
    version: body.version.slice(0, 200),
    problems: (problems as string[])
      .slice(0, maxProblems)
      .map((problem) => problem.slice(0, maxProblemLength)),
  };
}

/** Records a policy version that the agent rejected; its applied version stays as it was. */
async function recordRejected(
  db: Database,
  agent: AgentRow,
  version: string,
  problems: readonly string[],
): Promise<void> {
  const now = Date.now();
  await db.run(
    "UPDATE agents SET rejected_version = ?, rejected_problems = ?, rejected_at = ?, last_seen_at = ? WHERE id = ?",
    [version, JSON.stringify(problems), now, now, agent.id],
  );
}

/** Routes that agents call with their token: register, heartbeat, policy, acknowledgement, events. */
export function addAgentRoutes(router: Router, db: Database): void {
  let ingesting = 0;

  router.add("POST", "/api/agents/register", async ({ req }) => {
    const scope = await requireAgent(db, req);
    const agent = await registerAgent(db, scope, await readJsonObject(req));
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
    await recordHeartbeat(db, agent, await readJsonObject(req));
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
    const ack = readAcknowledgement(await readJsonObject(req));
    if (!ack.ok) {
      await recordRejected(db, agent, ack.version, ack.problems);
      log.warn(
        { agent_id: agent.id, instance: agent.instance, policy_version: ack.version },
        "an agent rejected its policy and keeps its previous one",
      );
      return { ok: true };
    }

    await recordApplied(db, agent, ack.version);
    if (ack.version !== agent.applied_version)
      await db.run(
        "UPDATE agents SET rejected_version = NULL, rejected_problems = NULL, rejected_at = NULL WHERE id = ?",
        [agent.id],
      );
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
      const body = await readJsonObject(req, eventBodyLimit);
      const result = await ingestEvents(db, agent, body.events);
      const snapshots = await ingestSnapshots(db, agent, body.snapshots);
      res.statusCode = 202;
      return { ...result, snapshots };
    } finally {
      ingesting -= 1;
    }
  });
}
