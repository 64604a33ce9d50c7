// Alert rules view: list, create and delete rules that post to a webhook when a count over a
// window reaches the threshold.

import { get, post, query, remove, segment } from "../api.js";
import { askReason, button, el, formValues, formatTime, message, replace, table } from "../dom.js";

/** Metric names of the server's alert rules, with what each counts. */
const metrics = {
  detections: "detections (blocked or monitored)",
  blocks: "blocked operations",
  false_positives: "events marked as false positives",
  offline_agents: "offline agents (the window is ignored)",
  overhead_us: "largest agent overhead per request, µs (the window is ignored)",
  agent_errors: "agent errors per 1,000 requests (the window is ignored)",
  sync_lag_ms: "largest policy sync lag, ms (the window is ignored)",
  rollbacks: "rollouts rolled back",
};

function input(label, attributes) {
  return el("label", { class: "field" }, el("span", {}, label), el("input", attributes));
}

export async function showAlerts(container) {
  const region = el("p", { class: "message", role: "status" });
  const list = el("div");
  const form = el(
    "form",
    { class: "filters", id: "new-alert" },
    input("Name", { name: "name", required: true }),
    el(
      "label",
      { class: "field" },
      el("span", {}, "Metric"),
      el(
        "select",
        { name: "metric" },
        Object.entries(metrics).map(([value, label]) => el("option", { value }, label)),
      ),
    ),
    input("Service (empty: all)", { name: "service" }),
    input("Threshold", {
      name: "threshold",
      type: "number",
      min: 0,
      step: 1,
      value: 10,
      required: true,
    }),
    input("Window (s)", {
      name: "window_seconds",
      type: "number",
      min: 10,
      max: 86400,
      step: 1,
      value: 300,
      required: true,
    }),
    input("Webhook URL", {
      name: "webhook_url",
      type: "url",
      required: true,
      placeholder: "https://…",
    }),
    el("button", { type: "submit" }, "Create rule"),
  );

  const reload = async () => {
    const { rules } = await get("/api/alerts");
    replace(
      list,
      table(
        [
          { label: "Name", value: (rule) => rule.name },
          { label: "Metric", value: (rule) => metrics[rule.metric] ?? rule.metric },
          { label: "Service", value: (rule) => rule.service ?? "all" },
          { label: "Fires at", value: (rule) => `${rule.threshold} in ${rule.window_seconds} s` },
          { label: "Webhook", value: (rule) => rule.webhook_url },
          { label: "Last fired", value: (rule) => formatTime(rule.last_fired_at) },
          {
            label: "",
            value: (rule) =>
              button("Delete", () => deleteRule(rule), {
                "aria-label": `Delete alert rule ${rule.name}`,
              }),
          },
        ],
        rules,
        "No alert rules yet.",
      ),
    );
  };

  const deleteRule = async (rule) => {
    const confirmed = await askReason(`Delete alert rule ${rule.name}?`, {
      confirmLabel: "Delete",
    });
    if (confirmed === undefined) return;
    try {
      await remove(`/api/alerts/${segment(rule.id)}${query({ reason: confirmed })}`);
      message(region, "ok", `Alert rule ${rule.name} deleted.`);
      await reload();
    } catch (error) {
      message(region, "error", `Could not delete the rule: ${error.message}`);
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formValues(form);
    try {
      await post("/api/alerts", {
        name: values.name,
        metric: values.metric,
        service: values.service === "" ? null : values.service,
        threshold: Number(values.threshold),
        window_seconds: Number(values.window_seconds),
        webhook_url: values.webhook_url,
      });
      message(region, "ok", `Alert rule ${values.name} created.`);
      form.reset();
      await reload();
    } catch (error) {
      message(region, "error", `Could not create the rule: ${error.message}`);
    }
  });

  replace(container, el("h1", {}, "Alert rules"), form, region, list);
  await reload();
}
