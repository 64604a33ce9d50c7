// Tokens view: agent tokens per service and environment. A new token's secret is shown once,
// right after it is created; the server keeps only its hash.

import { get, post, query, remove, segment } from "../api.js";
import { askReason, button, el, formValues, formatTime, message, replace, table } from "../dom.js";

function input(label, attributes) {
  return el("label", { class: "field" }, el("span", {}, label), el("input", attributes));
}

export async function showTokens(container) {
  const region = el("div", { class: "message", role: "status" });
  const list = el("div");
  const form = el(
    "form",
    { class: "filters", id: "new-token" },
    input("Name", { name: "name", required: true }),
    input("Service", { name: "service", required: true }),
    input("Environment", { name: "environment", required: true }),
    el("button", { type: "submit" }, "Create token"),
  );

  const reload = async () => {
    const { tokens } = await get("/api/tokens");
    replace(
      list,
      table(
        [
          { label: "Name", value: (token) => token.name },
          { label: "Service", value: (token) => `${token.service}/${token.environment}` },
          {
            label: "Created",
            value: (token) => `${formatTime(token.created_at)} by ${token.created_by}`,
          },
          {
            label: "State",
            value: (token) =>
              token.revoked_at === null ? "active" : `revoked ${formatTime(token.revoked_at)}`,
          },
          {
            label: "",
            value: (token) =>
              token.revoked_at !== null
                ? ""
                : button("Revoke", () => revoke(token), {
                    "aria-label": `Revoke token ${token.name}`,
                  }),
          },
        ],
        tokens,
        "No tokens yet.",
      ),
    );
  };

  const revoke = async (token) => {
    const confirmed = await askReason(
      `Revoke token ${token.name}? Agents using it are refused at once.`,
      { confirmLabel: "Revoke" },
    );
    if (confirmed === undefined) return;
    try {
      await remove(`/api/tokens/${segment(token.id)}${query({ reason: confirmed })}`);
      message(region, "ok", `Token ${token.name} revoked.`);
      await reload();
    } catch (error) {
      message(region, "error", `Could not revoke the token: ${error.message}`);
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await post("/api/tokens", formValues(form));
      message(region, "ok", "Token created. Copy it now: it is not shown again.");
      region.append(el("pre", { class: "secret", id: "new-token-secret" }, created.token));
      form.reset();
      await reload();
    } catch (error) {
      message(region, "error", `Could not create the token: ${error.message}`);
    }
  });

  replace(container, el("h1", {}, "Agent tokens"), form, region, list);
  await reload();
}
