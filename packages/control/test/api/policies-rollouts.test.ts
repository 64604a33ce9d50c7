import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { agentRequest, startControl, type RunningControl } from "../helpers/control-client";
import { databaseKinds, type TestDatabase } from "../helpers/databases";

const blockPolicy = "mode: block\ndetectors:\n  sql_injection: block\n";
const monitorPolicy = "mode: monitor\n";

for (const { kind, create } of databaseKinds) {
  describe(`policies and rollouts on ${kind}`, () => {
    let database: TestDatabase;
    let control: RunningControl;
    let token: string;

    before(async () => {
      database = await create();
      control = await startControl(database);
      const created = await control.admin.request<{ token: string }>("POST", "/api/tokens", {
        name: "checkout agents",
        service: "checkout",
        environment: "production",
      });
      assert.equal(created.status, 201);
      token = created.body.token;
    });
    after(async () => {
      await control?.stop();
      await database?.drop();
    });

    async function register(instance: string): Promise<string> {
      const response = await agentRequest<{ agent_id: string }>(
        control.plane.url,
        token,
        "POST",
        "/api/agents/register",
        {
          instance,
          agent_version: "0.1.0",
          node_version: process.version,
        },
      );
      assert.equal(response.status, 200);
      return response.body.agent_id;
    }

    async function createPolicy(
      content: string,
      comment: string,
    ): Promise<{ id: string; version: number }> {
      const response = await control.admin.request<{ id: string; version: number }>(
        "POST",
        "/api/policies",
        {
          service: "checkout",
          environment: "production",
          content,
          comment,
        },
      );
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body;
    }

    test("an invalid policy is refused with every problem and its line", async () => {
      const response = await control.admin.request<{ error: { code: string; message: string } }>(
        "POST",
        "/api/policies",
        {
          service: "checkout",
          environment: "production",
          content: "mode: blok\ndetectors:\n  sqli: block\n",
          comment: "typo",
        },
      );
      assert.equal(response.status, 422);
      assert.equal(response.body.error.code, "invalid_policy");
      assert.match(response.body.error.message, /checkout\/production:1: mode/);
      assert.match(response.body.error.message, /checkout\/production:3: detectors\.sqli/);
    });

    test("versions count up per service and a diff shows the change", async () => {
      const first = await createPolicy(monitorPolicy, "start in monitor mode");
      const second = await createPolicy(blockPolicy, "block SQL injection");
      assert.equal(second.version, first.version + 1);

      const diff = await control.admin.request<{ lines: { kind: string; text: string }[] }>(
        "GET",
        `/api/policies/${second.id}/diff?against=${first.id}`,
      );
      assert.equal(diff.status, 200);
      assert.deepEqual(
        diff.body.lines.filter((line) => line.kind !== " "),
        [
          { kind: "-", text: "mode: monitor" },
          { kind: "+", text: "mode: block" },
          { kind: "+", text: "detectors:" },
          { kind: "+", text: "  sql_injection: block" },
        ],
      );
    });

    test("canary share, then promotion to all", async () => {
      const baseline = await createPolicy(monitorPolicy, "baseline");
      const full = await control.admin.request("POST", "/api/rollouts", {
        policy_id: baseline.id,
        canary_percent: 100,
        reason: "baseline for all",
      });
      assert.equal(full.status, 201, JSON.stringify(full.body));

      const agents = await Promise.all(
        Array.from({ length: 40 }, (_, index) => register(`pod-${index}`)),
      );
      const next = await createPolicy(blockPolicy, "block");
      const rollout = await control.admin.request<{ id: string; state: string }>(
        "POST",
        "/api/rollouts",
        {
          policy_id: next.id,
          canary_percent: 50,
          reason: "try blocking on half",
        },
      );
      assert.equal(rollout.body.state, "canary");

      const versions = await Promise.all(
        agents.map(
          async (id) =>
            (
              await agentRequest<{ version: string }>(
                control.plane.url,
                token,
                "GET",
                `/api/agents/${id}/policy`,
              )
            ).body.version,
        ),
      );
      const onNew = versions.filter(
        (version) => version === `checkout/production@${next.version}`,
      ).length;
      const onOld = versions.filter(
        (version) => version === `checkout/production@${baseline.version}`,
      ).length;
      assert.equal(onNew + onOld, agents.length);
      // 40 agents with a 50% share: below 8 or above 32 has a chance under 1e-4.
      assert.ok(onNew >= 8, `${onNew} of ${agents.length} agents in the canary`);
      assert.ok(onNew <= 32, `${onNew} of ${agents.length} agents in the canary`);

      const second = await control.admin.request("POST", "/api/rollouts", {
        policy_id: baseline.id,
        canary_percent: 10,
        reason: "overlap",
      });
      assert.equal(second.status, 409, "one canary at a time");

      const promoted = await control.admin.request<{ state: string }>(
        "POST",
        `/api/rollouts/${rollout.body.id}/promote`,
        { reason: "looks good" },
      );
      assert.equal(promoted.body.state, "promoted");
      for (const id of agents) {
        const delivery = await agentRequest<{ version: string }>(
          control.plane.url,
          token,
          "GET",
          `/api/agents/${id}/policy`,
        );
        assert.equal(delivery.body.version, `checkout/production@${next.version}`);
      }

      const audit = await control.admin.request<{
        entries: { action: string; actor: string; reason: string }[];
      }>("GET", "/api/audit");
      const actions = audit.body.entries.map((entry) => entry.action);
      assert.ok(
        actions.includes("rollout.promote") &&
          actions.includes("rollout.start") &&
          actions.includes("policy.create"),
      );
      assert.equal(
        audit.body.entries.find((entry) => entry.action === "rollout.promote")?.reason,
        "looks good",
      );
    });

    test("earlier version rolled out again", async () => {
      const agent = await register("pod-rollback");
      const delivered = async () =>
        (
          await agentRequest<{ version: string; content: string }>(
            control.plane.url,
            token,
            "GET",
            `/api/agents/${agent}/policy`,
          )
        ).body;

      const good = await createPolicy(monitorPolicy, "known good");
      await control.admin.request("POST", "/api/rollouts", {
        policy_id: good.id,
        canary_percent: 100,
        reason: "known good for all",
      });
      const bad = await createPolicy(blockPolicy, "turned out too strict");
      await control.admin.request("POST", "/api/rollouts", {
        policy_id: bad.id,
        canary_percent: 100,
        reason: "block for all",
      });
      assert.equal((await delivered()).version, `checkout/production@${bad.version}`);

      // Rolling back a promoted version is a rollout of the earlier one, audited with its reason.
      const back = await control.admin.request<{ state: string }>("POST", "/api/rollouts", {
        policy_id: good.id,
        canary_percent: 100,
        reason: "roll back: too many blocks",
      });
      assert.equal(back.status, 201, JSON.stringify(back.body));
      assert.equal(back.body.state, "promoted");
      const current = await delivered();
      assert.equal(current.version, `checkout/production@${good.version}`);
      assert.equal(current.content, monitorPolicy);

      const audit = await control.admin.request<{ entries: { action: string; reason: string }[] }>(
        "GET",
        "/api/audit",
      );
      assert.ok(
        audit.body.entries.some(
          (entry) =>
            entry.action === "rollout.start" && entry.reason === "roll back: too many blocks",
        ),
      );
    });

    test("long polling: 304, then the new policy", async () => {
      const agent = await register("poller");
      const first = await agentRequest(
        control.plane.url,
        token,
        "GET",
        `/api/agents/${agent}/policy`,
      );
      const etag = first.headers.get("etag") ?? "";

      const unchanged = await agentRequest(
        control.plane.url,
        token,
        "GET",
        `/api/agents/${agent}/policy?wait=1`,
        undefined,
        { "if-none-match": etag },
      );
      assert.equal(unchanged.status, 304);

      const waiting = agentRequest<{ version: string }>(
        control.plane.url,
        token,
        "GET",
        `/api/agents/${agent}/policy?wait=20`,
        undefined,
        { "if-none-match": etag },
      );
      const changedAt = Date.now();
      const policy = await createPolicy("mode: block\n", "block everything");
      await control.admin.request("POST", "/api/rollouts", {
        policy_id: policy.id,
        canary_percent: 100,
        reason: "now",
      });
      const delivered = await waiting;
      assert.equal(delivered.status, 200);
      assert.equal(delivered.body.version, `checkout/production@${policy.version}`);
      assert.ok(Date.now() - changedAt < 5000, "delivered within seconds");

      const ack = await agentRequest(control.plane.url, token, "POST", `/api/agents/${agent}/ack`, {
        version: delivered.body.version,
      });
      assert.equal(ack.status, 200);
      const lag = await control.admin.request<{ pending: number; maxLagMs: number }>(
        "GET",
        "/api/sync-lag?service=checkout&environment=production",
      );
      assert.equal(lag.status, 200);
      assert.ok(lag.body.maxLagMs >= 0);

      const fleet = await control.admin.request<{
        pending: number;
        maxLagMs: number;
        services: { service: string; environment: string; maxLagMs: number }[];
      }>("GET", "/api/sync-lag");
      assert.equal(fleet.status, 200);
      const checkout = fleet.body.services.find(
        (entry) => entry.service === "checkout" && entry.environment === "production",
      );
      assert.ok(checkout !== undefined, JSON.stringify(fleet.body));
      assert.ok(fleet.body.maxLagMs >= checkout.maxLagMs);
      assert.equal(
        fleet.body.maxLagMs,
        Math.max(...fleet.body.services.map((entry) => entry.maxLagMs)),
      );

      const half = await control.admin.request("GET", "/api/sync-lag?service=checkout");
      assert.equal(half.status, 400);
    });

    test("a revoked token is refused, and a token cannot reach another service's agent", async () => {
      const other = await control.admin.request<{ id: string; token: string }>(
        "POST",
        "/api/tokens",
        { name: "search", service: "search", environment: "production" },
      );
      const agent = await register("scoped");
      const foreign = await agentRequest(
        control.plane.url,
        other.body.token,
        "GET",
        `/api/agents/${agent}/policy`,
      );
      assert.equal(foreign.status, 404);

      const revoked = await control.admin.request("DELETE", `/api/tokens/${other.body.id}`);
      assert.equal(revoked.status, 200);
      const refused = await agentRequest(
        control.plane.url,
        other.body.token,
        "POST",
        "/api/agents/register",
        { instance: "x", agent_version: "0.1.0", node_version: "v20" },
      );
      assert.equal(refused.status, 401);
    });

    test("writes need the CSRF token and a session", async () => {
      const noCsrf = await fetch(`${control.plane.url}/api/policies`, {
        method: "POST",
        headers: { cookie: control.admin.cookie, "content-type": "application/json" },
        body: JSON.stringify({
          service: "checkout",
          environment: "production",
          content: "mode: off\n",
          comment: "x",
        }),
      });
      assert.equal(noCsrf.status, 403);
      const anonymous = await fetch(`${control.plane.url}/api/policies`);
      assert.equal(anonymous.status, 401);
      const wrongPassword = await fetch(`${control.plane.url}/api/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "admin", password: "wrong" }),
      });
      assert.equal(wrongPassword.status, 401);
    });
  });
}
