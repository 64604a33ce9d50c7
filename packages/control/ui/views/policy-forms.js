// Forms of the policies view: a new policy version (with the proposed allow rules helper and the
// problems of a rejected text) and the start of a rollout.

import { ApiError, get, post, query } from "../api.js";
import { el, formValues, message } from "../dom.js";
import { addAllowRules } from "./allow-rules.js";

/** Rollout thresholds with the server's defaults. docs/control-plane.md explains each one. */
const thresholdFields = [
  { name: "maxBlockRate", label: "Max block rate (0 to 1)", value: "0.05", step: "0.001" },
  {
    name: "maxAgentErrorsPerThousand",
    label: "Max agent errors per 1,000 requests",
    value: "1",
    step: "0.1",
  },
  { name: "maxOverheadMs", label: "Max overhead (ms per request)", value: "2", step: "0.1" },
  {
    name: "autoPromoteAfterSeconds",
    label: "Promote automatically after (s, 0: by hand)",
    value: "0",
    step: "1",
  },
  { name: "minRequests", label: "Min requests before deciding", value: "100", step: "1" },
];

function input(label, attributes) {
  return el("label", { class: "field" }, el("span", {}, label), el("input", attributes));
}

/** Splits a 422 response's message ("the policy is invalid:\n<problem>\n…") into its problems. */
function problemsOf(error) {
  return error.message
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "");
}

/**
 * Builds the new-version form. `onCreated(policy)` runs after a version is stored. Returns the form and
 * `fill(policy)`, which loads a stored version's service, environment and text into it.
 */
export function newVersionForm(defaults, onCreated) {
  const content = el("textarea", {
    name: "content",
    rows: 14,
    required: true,
    spellcheck: "false",
  });
  const region = el("div", { class: "message", role: "status" });
  const form = el(
    "form",
    { class: "stacked", id: "new-version" },
    el("h2", {}, "New policy version"),
    el(
      "div",
      { class: "row" },
      input("Service", { name: "service", required: true, value: defaults.service ?? "" }),
      input("Environment", {
        name: "environment",
        required: true,
        value: defaults.environment ?? "",
      }),
    ),
    el("label", { class: "field" }, el("span", {}, "Policy (YAML or JSON)"), content),
    input("Comment", { name: "comment", required: true }),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", id: "add-proposals" }, "Add proposed allow rules"),
      el("button", { type: "submit" }, "Create version"),
    ),
    region,
  );

  form.querySelector("#add-proposals").addEventListener("click", async () => {
    const { service, environment } = formValues(form);
    if (service === "" || environment === "") {
      message(region, "error", "Enter the service and environment first.");
      return;
    }
    try {
      const { rules } = await get(`/api/proposals${query({ service, environment })}`);
      if (rules.length === 0) {
        message(
          region,
          "info",
          `No events of ${service}/${environment} are marked as false positives.`,
        );
        return;
      }
      content.value = addAllowRules(
        content.value,
        rules.map((proposal) => proposal.rule),
      );
      message(
        region,
        "ok",
        `Added ${rules.length} allow rule(s) from events marked as false positives.`,
      );
    } catch (error) {
      message(region, "error", `Could not add the proposed rules: ${error.message}`);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formValues(form);
    try {
      const policy = await post("/api/policies", {
        service: values.service,
        environment: values.environment,
        content: content.value,
        comment: values.comment,
      });
      message(
        region,
        "ok",
        `Stored ${policy.service}/${policy.environment} version ${policy.version}.`,
      );
      await onCreated(policy);
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) {
        message(region, "error", "The policy is invalid:");
        region.append(
          el(
            "ul",
            { class: "problems" },
            problemsOf(error).map((problem) => el("li", {}, problem)),
          ),
        );
      } else {
        message(region, "error", `Could not store the policy: ${error.message}`);
      }
    }
  });

  const fill = (policy) => {
    form.elements.service.value = policy.service;
    form.elements.environment.value = policy.environment;
    content.value = policy.content;
    content.focus();
  };
  return { form, fill };
}

/** Builds the form that starts a rollout of one stored policy; `onStarted(rollout)` runs after. */
export function rolloutForm(policy, onStarted) {
  const region = el("p", { class: "message", role: "status" });
  const form = el(
    "form",
    { class: "stacked", id: "start-rollout" },
    el("h3", {}, `Roll out version ${policy.version}`),
    input("Canary share of agents (%)", {
      name: "canary_percent",
      type: "number",
      min: 1,
      max: 100,
      value: 10,
      required: true,
    }),
    el(
      "fieldset",
      {},
      el("legend", {}, "Thresholds (a canary over any of them is rolled back)"),
      thresholdFields.map((spec) =>
        input(spec.label, {
          name: spec.name,
          type: "number",
          min: 0,
          step: spec.step,
          value: spec.value,
          required: true,
        }),
      ),
    ),
    input("Reason", { name: "reason", required: true }),
    el("button", { type: "submit" }, "Start rollout"),
    region,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formValues(form);
    const thresholds = Object.fromEntries(
      thresholdFields.map((spec) => [spec.name, Number(values[spec.name])]),
    );
    try {
      const rollout = await post("/api/rollouts", {
        policy_id: policy.id,
        canary_percent: Number(values.canary_percent),
        thresholds,
        reason: values.reason,
      });
      message(
        region,
        "ok",
        `Rollout started: ${rollout.canary_percent} % of ${rollout.service}/${rollout.environment} agents, state ${rollout.state}.`,
      );
      await onStarted(rollout);
    } catch (error) {
      message(region, "error", `Could not start the rollout: ${error.message}`);
    }
  });
  return form;
}
