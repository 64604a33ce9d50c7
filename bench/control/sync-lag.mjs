// Measures policy sync lag across a fleet: a control plane on a temporary SQLite file (or the
// PostgreSQL URL given with --database), and simulated agents that speak the agent protocol over
// HTTP (register, long polling with ETag, acknowledgement, heartbeat). Each round rolls a new
// policy version out to every agent and reads the lag that the control plane computes from the
// acknowledgements. Run `node control/sync-lag.mjs --help`; build the packages first.

import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { ensureFirstAdmin, openDatabase, startServer } from "@rampart/control";

const usage = `Usage: node control/sync-lag.mjs [options]
  --agents <n>       simulated agents (default 100)
  --rounds <n>       policy versions rolled out one after another (default 5)
  --database <url>   postgres:// URL of an empty database (default: a temporary SQLite file)`;

const { values } = parseArgs({
  options: {
    agents: { type: "string", default: "100" },
    rounds: { type: "string", default: "5" },
    database: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const agentCount = Number(values.agents);
const rounds = Number(values.rounds);
if (!Number.isInteger(agentCount) || agentCount < 1 || !Number.isInteger(rounds) || rounds < 1) {
  console.error(`invalid --agents or --rounds: expected positive integers\n\n${usage}`);
  process.exit(2);
}

/** Maximum wait for a round to reach every agent, in milliseconds; longer fails the run. */
const roundTimeoutMs = 60_000;
/** Long-poll wait that each simulated agent requests, in seconds, as the agent does. */
const pollWaitSeconds = 25;

const tempDir = mkdtempSync(path.join(tmpdir(), "rampart-sync-lag-"));
const database = values.database ?? path.join(tempDir, "control.db");
const db = await openDatabase(database);
const password = "sync lag benchmark password";
await ensureFirstAdmin(db, "admin", password);
const plane = await startServer(db, { port: 0, host: "127.0.0.1" });
const stopped = new AbortController();
// Every simulated agent's calls listen on this one signal.
setMaxListeners(0, stopped.signal);

try {
  const admin = await signIn(plane.url);
  const { token } = await admin("POST", "/api/tokens", {
    name: "sync lag benchmark",
    service: "bench",
    environment: "load",
  });

  const agents = [];
  for (let index = 0; index < agentCount; index++) {
    agents.push(await startAgent(plane.url, token, `pod-${index}`));
  }
  console.log(
    `Policy sync lag: ${agentCount} simulated agents, ${rounds} rounds, ` +
      `${values.database === undefined ? "SQLite" : "PostgreSQL"}, ${cpus().length} CPUs, Node ${process.version}`,
  );

  const lags = [];
  for (let round = 1; round <= rounds; round++) {
    const policy = await admin("POST", "/api/policies", {
      service: "bench",
      environment: "load",
      content: `mode: monitor\ndetectors:\n  xss: ${round % 2 === 0 ? "block" : "monitor"}\n`,
      comment: `round ${round}`,
    });
    const startedAt = Date.now();
    await admin("POST", "/api/rollouts", {
      policy_id: policy.id,
      canary_percent: 100,
      reason: `sync lag round ${round}`,
    });

    const lag = await waitForSync(admin, startedAt);
    lags.push(lag.maxLagMs);
    console.log(
      `  round ${round}: every agent acknowledged; largest lag ${lag.maxLagMs} ms, ` +
        `wall time to the last acknowledgement seen ${Date.now() - startedAt} ms`,
    );
  }

  lags.sort((a, b) => a - b);
  console.log(
    `Largest lag per round: median ${lags[Math.floor(lags.length / 2)]} ms, maximum ${lags.at(-1)} ms ` +
      `(target: under 5000 ms for the whole fleet)`,
  );
  const failed = agents.filter((agent) => agent.error !== undefined);
  if (failed.length > 0) throw new Error(`${failed.length} agents failed: ${failed[0].error}`);
} finally {
  stopped.abort();
  await plane.close();
  await db.close();
  rmSync(tempDir, { recursive: true, force: true });
}

/** Signs in as the admin; returns a function that calls the admin API and returns its JSON. */
async function signIn(baseUrl) {
  const response = await fetch(`${baseUrl}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  if (response.status !== 200) throw new Error(`sign-in failed with status ${response.status}`);
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0];
  const { csrf_token: csrfToken } = await response.json();

  return async (method, apiPath, body) => {
    const result = await fetch(`${baseUrl}${apiPath}`, {
      method,
      headers: { cookie, "x-csrf-token": csrfToken, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await result.json();
    if (result.status >= 400) {
      throw new Error(`${method} ${apiPath} failed with ${result.status}: ${JSON.stringify(json)}`);
    }
    return json;
  };
}

/** Polls the whole fleet's sync lag until no agent is pending on this round's assignment. */
async function waitForSync(admin, startedAt) {
  for (;;) {
    const lag = await admin("GET", "/api/sync-lag");
    const current = lag.services.every((entry) => (entry.changedAt ?? 0) >= startedAt);
    if (lag.pending === 0 && lag.services.length > 0 && current) return lag;
    if (Date.now() - startedAt > roundTimeoutMs) {
      throw new Error(`${lag.pending} agents still pending after ${roundTimeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Registers one simulated agent and starts its loops: a long poll for the policy that acknowledges
 * each new version, and a heartbeat every 5 s. Errors end the agent and are kept on it.
 */
async function startAgent(baseUrl, agentToken, instance) {
  const headers = { authorization: `Bearer ${agentToken}`, "content-type": "application/json" };
  const registered = await fetch(`${baseUrl}/api/agents/register`, {
    method: "POST",
    headers,
    body: JSON.stringify({ instance, agent_version: "0.1.0", node_version: process.version }),
  });
  const { agent_id: id } = await registered.json();
  const agent = { id, error: undefined };

  const poll = async () => {
    let etag;
    while (!stopped.signal.aborted) {
      const response = await fetch(`${baseUrl}/api/agents/${id}/policy?wait=${pollWaitSeconds}`, {
        headers: etag === undefined ? headers : { ...headers, "if-none-match": etag },
        signal: stopped.signal,
      });
      if (response.status === 304) {
        await response.arrayBuffer();
        continue;
      }
      const delivery = await response.json();
      etag = response.headers.get("etag") ?? undefined;
      await fetch(`${baseUrl}/api/agents/${id}/ack`, {
        method: "POST",
        headers,
        body: JSON.stringify({ ok: true, version: delivery.version }),
        signal: stopped.signal,
      }).then((ack) => ack.arrayBuffer());
    }
  };
  const heartbeat = async () => {
    while (!stopped.signal.aborted) {
      await fetch(`${baseUrl}/api/agents/${id}/heartbeat`, {
        method: "POST",
        headers,
        body: JSON.stringify({ stats: { requests: 0 } }),
        signal: stopped.signal,
      }).then((response) => response.arrayBuffer());
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  };
  const keep = (error) => {
    if (!stopped.signal.aborted) agent.error = error;
  };
  poll().catch(keep);
  heartbeat().catch(keep);
  return agent;
}
