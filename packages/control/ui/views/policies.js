// Policies view: versions per service and environment, one version's text, the diff of two
// versions, a new version, and the start of a rollout. Rollouts of the listed services follow.

import { get, query, segment } from "../api.js";
import { button, el, formatTime, message, replace, table } from "../dom.js";
import { rolloutsTable } from "./oncall.js";
import { newVersionForm, rolloutForm } from "./policy-forms.js";

function filterForm(params) {
  const service = el("input", { name: "service", value: params.get("service") ?? "" });
  const environment = el("input", { name: "environment", value: params.get("environment") ?? "" });
  const form = el(
    "form",
    { class: "filters", "aria-label": "Policy filters" },
    el("label", { class: "field" }, el("span", {}, "Service"), service),
    el("label", { class: "field" }, el("span", {}, "Environment"), environment),
    el("button", { type: "submit" }, "Show"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#policies${query({ service: service.value.trim(), environment: environment.value.trim() })}`;
  });
  return form;
}

function diffView(diff) {
  // The server marks each line "+" (added), "-" (removed) or " " (unchanged).
  const classes = { "+": "diff-added", "-": "diff-removed", " ": "diff-same" };
  return el(
    "pre",
    { class: "diff", id: "diff" },
    diff.lines.map((line) =>
      el("span", { class: classes[line.kind] ?? "diff-same" }, `${line.kind} ${line.text}\n`),
    ),
  );
}

/** Renders one version's panel: its text, a diff against another version, the rollout form. */
async function policyPanel(panel, summary, versions, fillEditor, reload) {
  const policy = await get(`/api/policies/${segment(summary.id)}`);
  const others = versions.filter(
    (other) =>
      other.id !== policy.id &&
      other.service === policy.service &&
      other.environment === policy.environment,
  );
  const diffOutput = el("div");
  const against = el(
    "select",
    { name: "against" },
    el("option", { value: "" }, "(empty text)"),
    others.map((other) => el("option", { value: other.id }, `version ${other.version}`)),
  );
  const diffForm = el(
    "form",
    { class: "filters" },
    el("label", { class: "field" }, el("span", {}, "Diff against"), against),
    el("button", { type: "submit" }, "Show diff"),
  );
  diffForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const diff = await get(
      `/api/policies/${segment(policy.id)}/diff${query({ against: against.value })}`,
    );
    replace(diffOutput, diffView(diff));
  });

  replace(
    panel,
    el("h2", {}, `${policy.service}/${policy.environment} version ${policy.version}`),
    el(
      "p",
      {},
      `${policy.comment} (by ${policy.created_by}, ${formatTime(policy.created_at)}; SHA-256 ${policy.content_hash.slice(0, 12)})`,
    ),
    el("pre", { class: "policy-text", id: "policy-text" }, policy.content),
    el(
      "div",
      { class: "actions" },
      button("Edit as a new version", () => fillEditor(policy)),
    ),
    diffForm,
    diffOutput,
    rolloutForm(policy, reload),
  );
  panel.scrollIntoView({ block: "start" });
}

export async function showPolicies(container, _argument, params) {
  const region = el("p", { class: "message", role: "status" });
  const list = el("div", {}, el("p", {}, "Loading…"));
  const panel = el("section", { class: "panel", "aria-label": "Selected policy version" });
  const rollouts = el("div");
  const filter = {
    service: params.get("service") ?? "",
    environment: params.get("environment") ?? "",
  };

  let versions = [];
  const editor = newVersionForm(filter, async (policy) => {
    await reload();
    await policyPanel(panel, policy, versions, editor.fill, reload);
  });

  const reload = async () => {
    versions = (await get(`/api/policies${query(filter)}`)).policies;
    replace(
      list,
      table(
        [
          { label: "Service", value: (policy) => `${policy.service}/${policy.environment}` },
          { label: "Version", value: (policy) => String(policy.version) },
          { label: "Comment", value: (policy) => policy.comment },
          {
            label: "Created",
            value: (policy) => `${formatTime(policy.created_at)} by ${policy.created_by}`,
          },
          {
            label: "",
            value: (policy) =>
              button(
                "View",
                () =>
                  policyPanel(panel, policy, versions, editor.fill, reload).catch((error) =>
                    message(region, "error", error.message),
                  ),
                {
                  "aria-label": `View ${policy.service}/${policy.environment} version ${policy.version}`,
                },
              ),
          },
        ],
        versions,
        "No policy stored yet. Create the first version below.",
      ),
    );
    const started = (await get(`/api/rollouts${query(filter)}`)).rollouts.slice(0, 10);
    replace(rollouts, el("h2", {}, "Rollouts"), await rolloutsTable(started, region, reload));
  };

  replace(
    container,
    el("h1", {}, "Policies"),
    filterForm(params),
    region,
    list,
    panel,
    rollouts,
    editor.form,
  );
  await reload();
}
