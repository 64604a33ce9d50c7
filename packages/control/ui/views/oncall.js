// On-call view: blocks of the last hour by service, agent health and overhead, and rollouts with
// their sync lag and the promote and roll back buttons.

import { get, post, query, segment } from "../api.js";
import {
  askReason,
  button,
  el,
  formatNumber,
  formatTime,
  message,
  replace,
  table,
} from "../dom.js";

const hourMs = 3600_000;

function eventsLink(text, filter) {
  return el("a", { href: `#events${query(filter)}` }, text);
}

function blocksByService(stats, from) {
  return table(
    [
      { label: "Service", value: (row) => row.service },
      { label: "Environment", value: (row) => row.environment },
      {
        label: "Blocked",
        value: (row) =>
          eventsLink(String(row.count), { service: row.service, action: "blocked", from }),
      },
    ],
    stats.byService,
    "No blocks in the last hour.",
  );
}

function agentsTable(agents) {
  return table(
    [
      { label: "Service", value: (agent) => `${agent.service}/${agent.environment}` },
      { label: "Instance", value: (agent) => agent.instance },
      {
        label: "State",
        value: (agent) =>
          el(
            "span",
            { class: agent.online ? "state online" : "state offline" },
            agent.online ? "online" : "offline",
          ),
      },
      { label: "Policy applied", value: (agent) => agent.applied_version ?? "local settings" },
      {
        label: "Policy rejected",
        value: (agent) =>
          agent.rejected_version === null || agent.rejected_version === undefined
            ? ""
            : `${agent.rejected_version}: ${(agent.rejected_problems ?? []).join("; ")}`,
      },
      {
        label: "Overhead (ms per request)",
        value: (agent) => formatNumber(agent.stats.overhead_ms, 3),
      },
      { label: "Internal errors", value: (agent) => String(agent.stats.internal_errors) },
      { label: "Requests", value: (agent) => String(agent.stats.requests) },
      { label: "Events dropped", value: (agent) => String(agent.stats.events_dropped) },
      {
        label: "Agent",
        value: (agent) => `${agent.agent_version} on Node.js ${agent.node_version}`,
      },
      { label: "Last seen", value: (agent) => formatTime(agent.last_seen_at) },
    ],
    agents,
    "No agent has registered yet.",
  );
}

async function decide(rollout, action, region, reload) {
  const verb = action === "promote" ? "Promote" : "Roll back";
  const reason = await askReason(
    `${verb} the rollout of ${rollout.service}/${rollout.environment}`,
    { confirmLabel: verb },
  );
  if (reason === undefined) return;
  try {
    const decided = await post(`/api/rollouts/${segment(rollout.id)}/${action}`, { reason });
    message(
      region,
      "ok",
      `Rollout of ${decided.service}/${decided.environment} is now ${decided.state}.`,
    );
    await reload();
  } catch (error) {
    message(region, "error", `${verb} failed: ${error.message}`);
  }
}

async function syncLagText(rollout) {
  const lag = await get(
    `/api/sync-lag${query({ service: rollout.service, environment: rollout.environment })}`,
  );
  const seconds = formatNumber(lag.maxLagMs / 1000, 1);
  return `${lag.synced} synced, ${lag.pending} pending, max lag ${seconds} s`;
}

/** Builds the rollouts table with sync lag per service and buttons on the ones still in canary. */
export async function rolloutsTable(rollouts, region, reload) {
  const lagByService = new Map();
  for (const rollout of rollouts) {
    const key = `${rollout.service}/${rollout.environment}`;
    if (!lagByService.has(key)) lagByService.set(key, await syncLagText(rollout));
  }
  const seen = new Set();
  return table(
    [
      { label: "Service", value: (rollout) => `${rollout.service}/${rollout.environment}` },
      {
        label: "State",
        value: (rollout) =>
          el("span", { class: `state ${rollout.state}` }, rollout.state.replace("_", " ")),
      },
      { label: "Canary", value: (rollout) => `${rollout.canary_percent} %` },
      {
        label: "Started",
        value: (rollout) => `${formatTime(rollout.started_at)} by ${rollout.started_by}`,
      },
      {
        label: "Decided",
        value: (rollout) =>
          rollout.decided_at === null
            ? ""
            : `${formatTime(rollout.decided_at)} by ${rollout.decided_by}: ${rollout.reason ?? ""}`,
      },
      {
        label: "Sync",
        // The lag describes the service's current assignment, so only its newest rollout shows it.
        value: (rollout) => {
          const key = `${rollout.service}/${rollout.environment}`;
          if (seen.has(key)) return "";
          seen.add(key);
          return lagByService.get(key);
        },
      },
      {
        label: "Actions",
        value: (rollout) =>
          rollout.state !== "canary"
            ? ""
            : el(
                "span",
                { class: "actions" },
                button("Promote", () => decide(rollout, "promote", region, reload), {
                  "data-rollout": rollout.id,
                }),
                button("Roll back", () => decide(rollout, "rollback", region, reload), {
                  "data-rollout": rollout.id,
                }),
              ),
      },
    ],
    rollouts,
    "No rollouts yet.",
  );
}

export async function showOnCall(container) {
  const region = el("p", { class: "message", role: "status" });
  const body = el("div", {}, el("p", {}, "Loading…"));
  replace(container, el("h1", {}, "On-call view"), region, body);

  const reload = async () => {
    const from = Date.now() - hourMs;
    const [stats, agents, rollouts] = await Promise.all([
      get(`/api/stats${query({ from, action: "blocked", bucket: 300 })}`),
      get("/api/agents"),
      get("/api/rollouts"),
    ]);
    const recent = rollouts.rollouts.slice(0, 20);
    replace(
      body,
      el("h2", {}, "Blocks in the last hour, by service"),
      blocksByService(stats, from),
      el("h2", {}, "Agents"),
      el(
        "p",
        {},
        `${agents.agents.filter((agent) => agent.online).length} online, ${agents.agents.filter((agent) => !agent.online).length} offline (no heartbeat for 30 s).`,
      ),
      agentsTable(agents.agents),
      el("h2", {}, "Rollouts"),
      await rolloutsTable(recent, region, reload),
    );
  };
  await reload();
}
