import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { evaluateRollouts } from "../../src/fleet/rollout-evaluator";
import {
  agentRequest,
  createAgentToken,
  registerAgent,
  startControl,
  type RunningControl,
} from "../helpers/control-client";
import { databaseKinds, type TestDatabase } from "../helpers/databases";

/** The control plane evaluates canaries every 2 s; a decision must come within this many ms. */
const decisionTimeoutMs = 15_000;

interface RolloutView {
  readonly id: string;
  readonly state: string;
  readonly decided_by: string | null;
  readonly reason: string;
}

interface Stats {
  readonly requests: number;
  readonly blocked?: number;
  readonly internal_errors?: number;
  readonly overhead_ms?: number;
}

for (const { kind, create } of databaseKinds) {
  describe(`automatic rollout decisions on ${kind}`, () => {
    let database: TestDatabase;
    let control: RunningControl;
    let token: string;
    let agents: string[];
    let policyCount = 0;

    before(async () => {
      database = await create();
      control = await startControl(database);
      token = await createAgentToken(control.admin, "search", "staging");

      // Sixteen agents, so that a canary of half of them is empty with a chance of 1 in 65,536.
      agents = [];
      for (const instance of Array.from({ length: 16 }, (_, index) => `pod-${index}`)) {
        agents.push(await registerAgent(control.plane.url, token, instance));
      }
    });

    after(async () => {
      await control?.stop();
      await database?.drop();
    });

    /**
     * Creates a policy version and starts its rollout to a canary of half the agents, then has
     * each agent apply the version delivered to it and report `stats`.
     */
    async function canaryWith(thresholds: Record<string, number>, stats: Stats): Promise<string> {
      policyCount++;
      const policy = await control.admin.request<{ id: string }>("POST", "/api/policies", {
        service: "search",
        environment: "staging",
        // Consecutive versions differ in one detector's mode.
        content: `mode: monitor\ndetectors:\n  xss: ${policyCount % 2 === 0 ? "block" : "monitor"}\n`,
        comment: `version ${policyCount}`,
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));

      const rollout = await control.admin.request<RolloutView>("POST", "/api/rollouts", {
        policy_id: policy.body.id,
        canary_percent: 50,
        thresholds,
        reason: `try version ${policyCount}`,
      });
      assert.equal(rollout.status, 201, JSON.stringify(rollout.body));
      assert.equal(rollout.body.state, "canary");

      for (const id of agents) {
        const delivery = await agentRequest<{ version: string }>(
          control.plane.url,
          token,
          "GET",
          `/api/agents/${id}/policy`,
        );
        const path = `/api/agents/${id}`;
        const ack = await agentRequest(control.plane.url, token, "POST", `${path}/ack`, {
          ok: true,
          version: delivery.body.version,
        });
        assert.equal(ack.status, 200);
        const beat = await agentRequest(control.plane.url, token, "POST", `${path}/heartbeat`, {
          stats,
        });
        assert.equal(beat.status, 200);
      }
      return rollout.body.id;
    }

    async function rolloutState(id: string): Promise<RolloutView> {
      const listed = await control.admin.request<{ rollouts: RolloutView[] }>(
        "GET",
        "/api/rollouts?service=search&environment=staging",
      );
      const rollout = listed.body.rollouts.find((candidate) => candidate.id === id);
      assert.ok(rollout !== undefined, `rollout ${id} listed`);
      return rollout;
    }

    /** Waits for the control plane's own evaluation to decide the rollout. */
    async function decided(id: string): Promise<RolloutView> {
      const deadline = Date.now() + decisionTimeoutMs;
      for (;;) {
        const rollout = await rolloutState(id);
        if (rollout.state !== "canary") return rollout;
        assert.ok(
          Date.now() < deadline,
          `rollout ${id} still a canary after ${decisionTimeoutMs} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    test("healthy canary promoted after its period", async () => {
      const id = await canaryWith(
        { autoPromoteAfterSeconds: 1, minRequests: 10 },
        { requests: 300, blocked: 1, internal_errors: 0, overhead_ms: 0.2 },
      );
      const rollout = await decided(id);
      assert.equal(rollout.state, "promoted");
      assert.equal(rollout.decided_by, "automatic");
      assert.match(rollout.reason, /within thresholds for 1 s over \d+ requests/);
    });

    test("agent error rate rolls back", async () => {
      const id = await canaryWith(
        { maxAgentErrorsPerThousand: 1, minRequests: 10 },
        { requests: 1000, internal_errors: 5, overhead_ms: 0.2 },
      );
      const rollout = await decided(id);
      assert.equal(rollout.state, "rolled_back");
      assert.equal(rollout.decided_by, "automatic");
      assert.match(rollout.reason, /5\.00 agent errors per 1,000 requests, above 1/);
    });

    test("overhead rolls back", async () => {
      const id = await canaryWith(
        { maxOverheadMs: 2, minRequests: 10 },
        { requests: 500, internal_errors: 0, overhead_ms: 3.5 },
      );
      const rollout = await decided(id);
      assert.equal(rollout.state, "rolled_back");
      assert.match(rollout.reason, /overhead 3\.500 ms per request, above 2 ms/);
    });

    test("too few requests: no decision", async () => {
      const id = await canaryWith(
        { autoPromoteAfterSeconds: 1, maxAgentErrorsPerThousand: 1, minRequests: 5000 },
        { requests: 100, internal_errors: 50 },
      );
      // An hour later, 1,600 requests at most are under the minimum of 5,000: no decision at all.
      const decisions = await evaluateRollouts(control.db, Date.now() + 3_600_000);
      assert.equal(
        decisions.some((decision) => decision.id === id),
        false,
      );
      assert.equal((await rolloutState(id)).state, "canary");

      const manual = await control.admin.request<RolloutView>(
        "POST",
        `/api/rollouts/${id}/rollback`,
        { reason: "not enough traffic to judge" },
      );
      assert.equal(manual.body.state, "rolled_back");
      assert.equal(manual.body.decided_by, "admin");
    });
  });
}
