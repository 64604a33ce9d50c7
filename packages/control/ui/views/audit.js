// Audit log view: every change with who, when, what and why, newest first.

import { get, query } from "../api.js";
import { el, formatTime, replace, table } from "../dom.js";

export async function showAudit(container) {
  const { entries } = await get(`/api/audit${query({ limit: 200 })}`);
  replace(
    container,
    el("h1", {}, "Audit log"),
    el("p", {}, `The ${entries.length} newest entries.`),
    table(
      [
        { label: "Time", value: (entry) => formatTime(entry.at) },
        { label: "Who", value: (entry) => entry.actor },
        { label: "Action", value: (entry) => entry.action },
        { label: "Target", value: (entry) => entry.target },
        { label: "Reason", value: (entry) => entry.reason },
        { label: "Detail", value: (entry) => el("code", {}, JSON.stringify(entry.detail)) },
      ],
      entries,
      "The audit log is empty.",
    ),
  );
}
