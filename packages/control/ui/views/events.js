// Debug view: the event list with filters and paging. Filters live in the hash
// ("#events?service=shop&action=blocked"), so a filtered list can be linked and reloaded.

import { get, query, segment } from "../api.js";
import { button, el, formatTime, replace, table } from "../dom.js";

const pageSize = 50;

/** Filter fields: query parameter, label and input type. */
const filterFields = [
  { name: "from", label: "From", type: "datetime-local" },
  { name: "to", label: "To", type: "datetime-local" },
  { name: "service", label: "Service" },
  { name: "type", label: "Attack type" },
  { name: "route", label: "Route" },
  { name: "client", label: "Client IP" },
];

/** Converts a time parameter (milliseconds or ISO text) to a datetime-local input value. */
function toLocalInput(value) {
  if (value === null || value === "") return "";
  const date = new Date(/^\d+$/.test(value) ? Number(value) : value);
  if (Number.isNaN(date.getTime())) return "";
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function filterForm(params) {
  const inputs = filterFields.map((spec) => {
    const value =
      spec.type === "datetime-local"
        ? toLocalInput(params.get(spec.name))
        : (params.get(spec.name) ?? "");
    return el(
      "label",
      { class: "field" },
      el("span", {}, spec.label),
      el("input", { name: spec.name, type: spec.type ?? "text", value }),
    );
  });
  const action = params.get("action") ?? "";
  const actionSelect = el(
    "select",
    { name: "action" },
    ["", "blocked", "monitored"].map((value) =>
      el("option", { value, selected: value === action }, value === "" ? "any" : value),
    ),
  );
  const form = el(
    "form",
    { class: "filters", "aria-label": "Event filters" },
    inputs,
    el("label", { class: "field" }, el("span", {}, "Action"), actionSelect),
    el("button", { type: "submit" }, "Filter"),
  );

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const filter = {};
    for (const [name, raw] of new FormData(form)) {
      const value = String(raw).trim();
      if (value === "") continue;
      // datetime-local has no zone: the browser reads it as local time, sent as milliseconds.
      filter[name] = name === "from" || name === "to" ? new Date(value).getTime() : value;
    }
    location.hash = `#events${query(filter)}`;
  });
  return form;
}

function eventsTable(events) {
  return table(
    [
      {
        label: "Time",
        value: (event) => el("a", { href: `#event/${segment(event.id)}` }, formatTime(event.time)),
      },
      { label: "Service", value: (event) => `${event.service}/${event.environment}` },
      { label: "Attack type", value: (event) => event.attack_type },
      {
        label: "Action",
        value: (event) => el("span", { class: `state ${event.action}` }, event.action),
      },
      { label: "Sink", value: (event) => event.sink },
      { label: "Route", value: (event) => event.route ?? "" },
      { label: "Input", value: (event) => event.input_path ?? "" },
      { label: "Client", value: (event) => event.client_ip ?? "" },
      { label: "False positive", value: (event) => (event.false_positive ? "yes" : "") },
    ],
    events,
    "No events match these filters.",
  );
}

export async function showEvents(container, _argument, params) {
  const filter = Object.fromEntries(params);
  const list = el("div", { class: "event-list" });
  const pager = el("div", { class: "pager" });
  replace(container, el("h1", {}, "Events"), filterForm(params), list, pager);

  // Cursors of the pages seen so far, so that "Previous" returns without refetching from the top.
  const cursors = [undefined];
  let page = 0;

  const load = async () => {
    const result = await get(
      `/api/events${query({ ...filter, limit: pageSize, before: cursors[page] })}`,
    );
    cursors[page + 1] = result.next ?? undefined;
    replace(
      list,
      el("p", { class: "count" }, `Page ${page + 1}: ${result.events.length} events`),
      eventsTable(result.events),
    );
    replace(
      pager,
      page > 0
        ? button("Previous page", () => {
            page -= 1;
            void load();
          })
        : null,
      result.next !== null
        ? button("Next page", () => {
            page += 1;
            void load();
          })
        : null,
    );
  };
  await load();
}
