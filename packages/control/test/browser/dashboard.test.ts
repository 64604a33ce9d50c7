// Drives the dashboard in Debian's Chromium through playwright-core, against a control plane
// started in this process on a temporary SQLite file. Install the browser with
// `apt-get install chromium`, or point RAMPART_CHROMIUM at another Chromium binary.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium, type Browser, type Page } from "playwright-core";

import {
  adminPassword,
  agentRequest,
  startControl,
  type RunningControl,
} from "../helpers/control-client";
import { createSqliteDatabase, type TestDatabase } from "../helpers/databases";

const chromiumPath = process.env.RAMPART_CHROMIUM ?? "/usr/bin/chromium";
/** Screenshots of each view, for a person to look at. The folder is in .gitignore. */
const screenshotFolder = path.join(__dirname, "screenshots");

/** Markup that would run script if the dashboard parsed a server value as HTML. */
const imagePayload = "<img src=x onerror=alert(1)>";
const scriptPayload = "<script>alert(2)</script>";
const attackRoute = `/search/<img src=x onerror=alert(3)>`;

/** Builds an event as the agent sends it, at the current time so that it falls in every view's range. */
function agentEvent(
  index: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    time: new Date(Date.now() - index * 1000).toISOString(),
    event_id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
    attack_type: "sql_injection",
    sink: "pg.query",
    action: index % 2 === 0 ? "blocked" : "monitored",
    reason: "spans-tokens",
    input: { source: "query", path: "query.name", value: "x' OR '1'='1", length: 12 },
    operation: "SELECT * FROM users WHERE name = 'x' OR '1'='1'",
    request: {
      method: "GET",
      path: "/users",
      route: "/users",
      client_ip: "203.0.113.1",
      request_id: `r${index}`,
    },
    stack: ["at listUsers (/srv/app/users.js:12:9)"],
    agent: { name: "rampart", version: "0.1.0", mode: "block" },
    ...overrides,
  };
}

const attackEvent = agentEvent(100, {
  attack_type: "xss",
  sink: "http.response",
  action: "blocked",
  reason: "adds-markup",
  input: {
    source: "query",
    path: "query.q",
    value: `${imagePayload}${scriptPayload}`,
    length: 51,
  },
  operation: `<p>Results for ${imagePayload}${scriptPayload}</p>`,
  request: {
    method: "GET",
    path: attackRoute,
    route: attackRoute,
    client_ip: "198.51.100.7",
    request_id: "r-xss",
  },
  trace_id: "0af7651916cd43dd8448eb211c80319c",
  stack: [`at render (/srv/app/search.js:10:5) ${scriptPayload}`],
});

/** The agent's forensic snapshot of the attack, with markup in a header that must stay text. */
const attackSnapshot = {
  snapshot_version: 1,
  event_id: attackEvent.event_id,
  action: "blocked",
  request: { method: "GET", url: "/search?q=x", headers: { "user-agent": imagePayload } },
  timings: { inspection_ms: 0.37, time_to_block_ms: 2.5 },
};

/** Six ordinary events (three blocked) and the attack event, which is blocked too. */
const events = [...Array.from({ length: 6 }, (_, index) => agentEvent(index)), attackEvent];
const blockedCount = events.filter((event) => event.action === "blocked").length;

describe("dashboard in Chromium", () => {
  let database: TestDatabase;
  let control: RunningControl;
  let browser: Browser;
  let page: Page;
  let agentId: string;
  let token: string;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(screenshotFolder, `${name}.png`), fullPage: true });
  }

  /** Waits for the first element matching `selector` and returns its text. */
  async function textOf(selector: string): Promise<string> {
    const locator = page.locator(selector).first();
    await locator.waitFor();
    return (await locator.textContent()) ?? "";
  }

  /** Fills and confirms the dashboard's reason dialog (an HTML <dialog>, not window.prompt). */
  async function confirmDialog(button: string, reason?: string): Promise<void> {
    const dialog = page.locator("dialog[open]");
    await dialog.waitFor();
    if (reason !== undefined) await dialog.getByLabel("Reason").fill(reason);
    await dialog.getByRole("button", { name: button, exact: true }).click();
    await dialog.waitFor({ state: "detached" });
  }

  /** Reports the agent's counters. The agent counts as online for 30 s after each heartbeat. */
  async function sendHeartbeat(): Promise<void> {
    const stats = {
      requests: 1200,
      blocked: 4,
      monitored: 3,
      internal_errors: 2,
      overhead_ms: 0.125,
      events_dropped: 0,
    };
    const response = await agentRequest(
      control.plane.url,
      token,
      "POST",
      `/api/agents/${agentId}/heartbeat`,
      { stats },
    );
    assert.equal(response.status, 200);
  }

  before(async () => {
    assert.ok(
      existsSync(chromiumPath),
      `no Chromium at ${chromiumPath}: install it with "apt-get install chromium" or set RAMPART_CHROMIUM`,
    );
    mkdirSync(screenshotFolder, { recursive: true });

    database = await createSqliteDatabase();
    control = await startControl(database);
    const created = await control.admin.request<{ token: string }>("POST", "/api/tokens", {
      name: "shop agents",
      service: "shop",
      environment: "production",
    });
    assert.equal(created.status, 201);
    token = created.body.token;

    const registered = await agentRequest<{ agent_id: string }>(
      control.plane.url,
      token,
      "POST",
      "/api/agents/register",
      { instance: "pod-1", agent_version: "0.1.0", node_version: process.version },
    );
    assert.equal(registered.status, 200);
    agentId = registered.body.agent_id;

    await sendHeartbeat();

    const posted = await agentRequest<{ accepted: number }>(
      control.plane.url,
      token,
      "POST",
      `/api/agents/${agentId}/events`,
      { events, snapshots: [attackSnapshot] },
    );
    assert.equal(posted.status, 202);
    assert.equal(posted.body.accepted, events.length);

    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Any alert, confirm or prompt would mean that injected script ran, because the dashboard
    // requests reasons in an HTML <dialog> and never opens a browser dialog itself.
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (entry) => {
      // Error responses are checked through failedRequests. A CSP violation is logged here.
      const failedLoad = entry.text().startsWith("Failed to load resource:");
      if (entry.type() === "error" && !failedLoad) consoleErrors.push(entry.text());
    });
    page.on("response", (response) => {
      if (response.status() < 400) return;
      const request = response.request();
      failedRequests.push(
        `${response.status()} ${request.method()} ${new URL(response.url()).pathname}`,
      );
    });
    console.log(`dashboard screenshots: ${screenshotFolder}`);
  });

  after(async () => {
    await browser?.close();
    await control?.stop();
    await database?.drop();
  });

  test("wrong password shows an error", async () => {
    await page.goto(control.plane.url);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();

    assert.equal(await textOf("#sign-in-message.error"), "Wrong username or password.");
    assert.equal(await page.locator("#top").isVisible(), false);
    await screenshot("sign-in-error");
  });

  test("sign-in opens the executive counts", async () => {
    await page.getByLabel("Password").fill(adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();

    assert.equal(await textOf("#total-detections"), String(events.length));
    assert.equal(await textOf("#total-blocked"), String(blockedCount));
    assert.equal(await textOf("#total-false-positives"), "0");
    assert.equal(await textOf("#user"), "admin");
    // The by-type bars name the attack's type as an SVG text node.
    assert.equal(await page.locator("svg text", { hasText: "xss" }).count(), 1);
    await screenshot("executive");
  });

  test("attack appears in the event list as text", async () => {
    await page.getByRole("link", { name: "Events", exact: true }).click();
    const row = page.locator("tr", { hasText: attackRoute });
    await row.waitFor();

    assert.equal(await page.locator("tbody tr").count(), events.length);
    assert.match((await row.textContent()) ?? "", /xss/);
    assert.equal(await page.locator("img").count(), 0);
    await screenshot("events");
  });

  test("event filters narrow the list", async () => {
    await page.getByLabel("Attack type").fill("xss");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/#events\?type=xss/);
    await page.locator("text=Page 1: 1 events").waitFor();

    assert.equal(await page.locator("tbody tr").count(), 1);
    assert.equal(await page.locator("tr", { hasText: attackRoute }).count(), 1);
  });

  test("event detail shows payload, stack, trace id and snapshot as text", async () => {
    await page.locator("tr", { hasText: attackRoute }).getByRole("link").click();
    const payloadText = await textOf("#payload");

    assert.deepEqual(JSON.parse(payloadText), attackEvent);
    assert.ok(payloadText.includes(imagePayload), payloadText);
    const stack = await textOf("pre.stack");
    assert.ok(stack.includes(scriptPayload), stack);
    const fields = await textOf("dl.fields");
    assert.ok(fields.includes(String(attackEvent.trace_id)), fields);
    const snapshot = await textOf("#snapshot");
    assert.ok(snapshot.includes("time_to_block_ms"), snapshot);
    assert.ok(snapshot.includes(imagePayload), snapshot);
    assert.equal(await page.locator("img").count(), 0);
    // The only script element is the dashboard's own module.
    assert.equal(await page.locator("script").count(), 1);
    await screenshot("event-detail");
  });

  test("false positive shows the proposed allow rule", async () => {
    await page.getByRole("button", { name: "Mark as false positive" }).click();
    await confirmDialog("Mark", "search box accepts markup on purpose");
    const rule = await textOf("#proposed-rule pre");

    assert.equal(
      rule.trim(),
      `allow:\n  - { route: ${JSON.stringify(attackRoute)}, input: "query.q", attackType: "xss" }`,
    );
    const stored = await control.admin.request<{ false_positive: boolean }>(
      "GET",
      `/api/events/${attackEvent.event_id}`,
    );
    assert.equal(stored.body.false_positive, true);
    // The page shows the marking at once, without a reload.
    assert.match(await textOf("dl.fields"), /yes, marked by admin/);
    assert.equal(await page.getByRole("button", { name: "Mark as false positive" }).count(), 0);
    await screenshot("false-positive");
  });

  test("invalid policy shows every problem", async () => {
    await page.goto(`${control.plane.url}/#policies?service=shop&environment=production`);
    const form = page.locator("#new-version");
    await form.getByLabel("Policy (YAML or JSON)").fill("mode: blok\nunknownKey: 1\n");
    await form.getByLabel("Comment").fill("typo");
    await form.getByRole("button", { name: "Create version" }).click();

    const problems = form.locator("ul.problems li");
    await problems.first().waitFor();
    const texts = await problems.allTextContents();
    assert.equal(texts.length, 2, texts.join("\n"));
    assert.ok(texts.some((text) => text.includes("mode")));
    assert.ok(texts.some((text) => text.includes("unknownKey")));
    const list = await control.admin.request<{ policies: unknown[] }>("GET", "/api/policies");
    assert.equal(list.body.policies.length, 0);
  });

  test("policy with proposed rules is created and diffed", async () => {
    const form = page.locator("#new-version");
    await form.getByLabel("Policy (YAML or JSON)").fill("mode: monitor\n");
    await form.getByLabel("Comment").fill("first version");
    await form.getByRole("button", { name: "Create version" }).click();
    await form.locator(".message.ok", { hasText: "version 1" }).waitFor();

    await page.getByRole("button", { name: "Edit as a new version" }).click();
    await form.getByLabel("Policy (YAML or JSON)").fill("mode: block\n");
    await form.getByRole("button", { name: "Add proposed allow rules" }).click();
    await form.locator(".message.ok", { hasText: "Added 1 allow rule" }).waitFor();
    await form.getByLabel("Comment").fill("block, allow the search box");
    await form.getByRole("button", { name: "Create version" }).click();
    await form.locator(".message.ok", { hasText: "version 2" }).waitFor();

    const panel = page.locator("section.panel");
    await panel.locator("h2", { hasText: "shop/production version 2" }).waitFor();
    assert.ok((await textOf("#policy-text")).includes(`route: ${JSON.stringify(attackRoute)}`));
    await panel.getByLabel("Diff against").selectOption({ label: "version 1" });
    await panel.getByRole("button", { name: "Show diff" }).click();
    await page.locator("#diff").waitFor();
    const added = await page.locator("#diff .diff-added").allTextContents();
    const removed = await page.locator("#diff .diff-removed").allTextContents();
    assert.deepEqual(removed, ["- mode: monitor\n"]);
    assert.equal(added[0], "+ mode: block\n");
    assert.ok(added.some((line) => line.includes("attackType")));
    await screenshot("policies");
  });

  test("rollout goes to a canary and is promoted", async () => {
    const form = page.locator("#start-rollout");
    await form.getByLabel("Canary share of agents (%)").fill("25");
    await form.getByLabel("Max overhead (ms per request)").fill("3");
    await form.getByLabel("Reason").fill("try blocking on a quarter");
    await form.getByRole("button", { name: "Start rollout" }).click();
    await form.locator(".message.ok").waitFor();

    const started = await control.admin.request<{
      rollouts: {
        id: string;
        state: string;
        canary_percent: number;
        thresholds: Record<string, number>;
      }[];
    }>("GET", "/api/rollouts?service=shop&environment=production");
    const rollout = started.body.rollouts[0];
    assert.equal(rollout?.state, "canary");
    assert.equal(rollout?.canary_percent, 25);
    assert.equal(rollout?.thresholds.maxOverheadMs, 3);

    await page.getByRole("link", { name: "On call", exact: true }).click();
    await page.getByRole("button", { name: "Promote" }).click();
    await confirmDialog("Promote", "canary looks clean");
    await page.locator(".message.ok", { hasText: "promoted" }).waitFor();

    const decided = await control.admin.request<{
      rollouts: { state: string; decided_by: string; reason: string }[];
    }>("GET", "/api/rollouts?service=shop&environment=production");
    assert.deepEqual(
      [
        decided.body.rollouts[0]?.state,
        decided.body.rollouts[0]?.decided_by,
        decided.body.rollouts[0]?.reason,
      ],
      ["promoted", "admin", "canary looks clean"],
    );
  });

  test("on-call view shows blocks and agent health", async () => {
    await sendHeartbeat();
    await page.reload();
    const blocks = page.locator("table").first();
    await blocks.waitFor();
    const row = blocks.locator("tbody tr", { hasText: "shop" });

    assert.equal(await row.locator("td").nth(2).textContent(), String(blockedCount));
    const agent = page.locator("tr", { hasText: "pod-1" });
    const agentText = (await agent.textContent()) ?? "";
    assert.match(agentText, /online/);
    assert.match(agentText, /0\.125/);
    assert.equal(await page.locator("tr", { hasText: "promoted" }).count(), 1);
    await screenshot("oncall");
  });

  test("token secret shows once and revokes", async () => {
    await page.getByRole("link", { name: "Tokens", exact: true }).click();
    const form = page.locator("#new-token");
    await form.getByLabel("Name").fill("billing agents");
    await form.getByLabel("Service").fill("billing");
    await form.getByLabel("Environment").fill("staging");
    await form.getByRole("button", { name: "Create token" }).click();
    const secret = (await textOf("#new-token-secret")).trim();

    const register = () =>
      agentRequest(control.plane.url, secret, "POST", "/api/agents/register", {
        instance: "billing-1",
        agent_version: "0.1.0",
        node_version: process.version,
      });
    assert.equal((await register()).status, 200);
    await screenshot("tokens");

    await page.getByRole("button", { name: "Revoke token billing agents" }).click();
    await confirmDialog("Revoke", "billing moved to its own cluster");
    await page.locator("tr", { hasText: "billing agents" }).getByText("revoked").waitFor();
    assert.equal((await register()).status, 401);
  });

  test("alert rule is created and deleted", async () => {
    await page.getByRole("link", { name: "Alerts", exact: true }).click();
    const form = page.locator("#new-alert");
    await form.getByLabel("Name").fill("block burst");
    await form.getByLabel("Metric").selectOption("blocks");
    await form.getByLabel("Threshold").fill("1000");
    // Loopback port 9 (discard): the threshold is out of reach, so nothing is sent.
    await form.getByLabel("Webhook URL").fill("http://127.0.0.1:9/hook");
    await form.getByRole("button", { name: "Create rule" }).click();
    await page.locator("tr", { hasText: "block burst" }).waitFor();

    const created = await control.admin.request<{ rules: { name: string; metric: string }[] }>(
      "GET",
      "/api/alerts",
    );
    assert.deepEqual(
      created.body.rules.map((rule) => [rule.name, rule.metric]),
      [["block burst", "blocks"]],
    );
    await screenshot("alerts");

    await page.getByRole("button", { name: "Delete alert rule block burst" }).click();
    await confirmDialog("Delete", "replaced by the on-call rule");
    await page.locator("text=No alert rules yet.").waitFor();
    const deleted = await control.admin.request<{ rules: unknown[] }>("GET", "/api/alerts");
    assert.equal(deleted.body.rules.length, 0);
  });

  test("audit log lists the changes", async () => {
    await page.getByRole("link", { name: "Audit log", exact: true }).click();
    await page.locator("td", { hasText: "rollout.promote" }).first().waitFor();
    const actions = await page.locator("tbody tr td:nth-child(3)").allTextContents();

    for (const action of [
      "policy.create",
      "event.false_positive",
      "token.revoke",
      "alert.delete",
    ]) {
      assert.ok(actions.includes(action), `${action} missing from ${actions.join(", ")}`);
    }
    const reasons = await page.locator("tbody").textContent();
    assert.ok(reasons?.includes("billing moved to its own cluster"), "reason of the revocation");
    assert.ok(reasons?.includes("replaced by the on-call rule"), "reason of the deletion");
    await screenshot("audit");
  });

  test("sign-out returns to the sign-in form", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#sign-in-form").waitFor();
    await page.reload();
    await page.locator("#sign-in-form").waitFor();
    assert.equal(await page.locator("#top").isVisible(), false);
  });

  test("write without the CSRF token is refused", async () => {
    const cookie = control.admin.cookie;
    const body = JSON.stringify({
      service: "shop",
      environment: "production",
      content: "mode: off\n",
      comment: "no token",
    });
    for (const headers of [{}, { "x-csrf-token": "wrong" }] as Record<string, string>[]) {
      const response = await fetch(`${control.plane.url}/api/policies`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", ...headers },
        body,
      });
      assert.equal(response.status, 403);
      const answer = (await response.json()) as { error: { code: string } };
      assert.equal(answer.error.code, "csrf");
    }
    const list = await control.admin.request<{ policies: unknown[] }>("GET", "/api/policies");
    assert.equal(list.body.policies.length, 2);
  });

  test("no browser dialog, page error or console error", () => {
    assert.deepEqual(dialogs, []);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
    // Only the error responses that the tests provoke: no session at the first visit and after signing out,
    // the wrong password, and the invalid policy.
    assert.deepEqual(failedRequests, [
      "401 GET /api/session",
      "401 POST /api/session",
      "422 POST /api/policies",
      "401 GET /api/session",
    ]);
  });
});
