// One event: its indexed fields, the request, the stack and the whole redacted payload as JSON
// text, and the button that marks it as a false positive and shows the allow rule it proposes.

import { get, post, query, segment } from "../api.js";
import { askReason, button, el, formatTime, message, replace } from "../dom.js";
import { allowRuleYaml } from "./allow-rules.js";

function definitionList(entries) {
  return el(
    "dl",
    { class: "fields" },
    entries
      .filter(([, value]) => value !== undefined && value !== null && value !== "")
      .map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]),
  );
}

/** Shows a value as text: strings as they are, anything else as JSON. */
function asText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function stackText(stack) {
  if (!Array.isArray(stack) || stack.length === 0) return "(no stack in this event)";
  return stack
    .map((frame) => (typeof frame === "string" ? frame : JSON.stringify(frame)))
    .join("\n");
}

function proposedRule(result) {
  return el(
    "div",
    { class: "proposal", id: "proposed-rule" },
    el("h2", {}, "Proposed allow rule"),
    el("p", {}, `Add it to the next policy version of ${result.service}/${result.environment}:`),
    el("pre", {}, allowRuleYaml([result.rule])),
    el(
      "a",
      { href: `#policies${query({ service: result.service, environment: result.environment })}` },
      "Open the policies of this service",
    ),
  );
}

/** Shows one event (the router passes the id and the route's query parameters). */
export function showEvent(container, id) {
  return renderEvent(container, id, undefined);
}

/** Renders one event; `marked` is the response of a false-positive marking just made, shown with it. */
async function renderEvent(container, id, marked) {
  const event = await get(`/api/events/${segment(id)}`);
  const payload = typeof event.payload === "object" && event.payload !== null ? event.payload : {};
  const request =
    typeof payload.request === "object" && payload.request !== null ? payload.request : {};
  const input = typeof payload.input === "object" && payload.input !== null ? payload.input : {};
  const region = el("p", { class: "message", role: "status" });
  const proposal = el("div");

  const markButton = button("Mark as false positive", async () => {
    const reason = await askReason("Mark this event as a false positive", { confirmLabel: "Mark" });
    if (reason === undefined) return;
    try {
      const result = await post(`/api/events/${segment(event.id)}/false-positive`, { reason });
      // Loaded again so that the event's fields show the marking.
      await renderEvent(container, event.id, result);
    } catch (error) {
      message(region, "error", `Marking failed: ${error.message}`);
    }
  });

  if (marked !== undefined) {
    message(region, "ok", "Marked as a false positive.");
    replace(proposal, proposedRule(marked));
  }

  replace(
    container,
    el("p", {}, el("a", { href: "#events" }, "← Back to events")),
    el("h1", {}, `${event.attack_type} ${event.action} at ${event.sink}`),
    region,
    definitionList([
      ["Event id", event.id],
      ["Time", formatTime(event.time)],
      ["Service", `${event.service}/${event.environment}`],
      ["Agent", event.agent_id],
      ["Policy version", event.policy_version],
      ["Trace id", event.trace_id],
      ["Reason", asText(payload.reason ?? "")],
      ["Input", `${asText(input.source ?? "")} ${event.input_path ?? ""}`.trim()],
      ["Input value", asText(input.value ?? "")],
      ["Operation", asText(payload.operation ?? "")],
      [
        "False positive",
        event.false_positive ? `yes, marked by ${event.false_positive_by ?? "unknown"}` : "no",
      ],
    ]),
    el("div", { class: "actions" }, event.false_positive ? null : markButton),
    proposal,
    el("h2", {}, "Request"),
    definitionList(Object.entries(request).map(([name, value]) => [name, asText(value)])),
    el("h2", {}, "Stack"),
    el("pre", { class: "stack" }, stackText(payload.stack)),
    el("h2", {}, "Payload (redacted by the agent)"),
    el("pre", { class: "payload", id: "payload" }, JSON.stringify(payload, null, 2)),
    el("h2", {}, "Forensic snapshot"),
    snapshotSection(event.snapshot),
  );
}

/** Renders the agent's snapshot as text: its timings, then the whole redacted document. */
function snapshotSection(snapshot) {
  if (snapshot === null || snapshot === undefined) {
    return el(
      "p",
      { id: "snapshot" },
      "None: the agent sends one when RAMPART_SNAPSHOTS captures this kind of event.",
    );
  }
  const timings = snapshot.timings ?? {};
  return el(
    "div",
    { id: "snapshot" },
    definitionList(Object.entries(timings).map(([name, value]) => [name, asText(value)])),
    el("pre", { class: "payload" }, JSON.stringify(snapshot, null, 2)),
  );
}
