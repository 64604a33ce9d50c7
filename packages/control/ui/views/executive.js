// Executive view: detections and blocks over time, detections by attack type, and the trend of
// events marked as false positives, from GET /api/stats.

import { get, query } from "../api.js";
import { bucketStarts, horizontalBars, line, stackedColumns } from "../charts.js";
import { el, replace, table } from "../dom.js";

const ranges = {
  "24h": { label: "Last 24 hours", spanMs: 24 * 3600_000, bucketSeconds: 3600 },
  "7d": { label: "Last 7 days", spanMs: 7 * 24 * 3600_000, bucketSeconds: 6 * 3600 },
  "30d": { label: "Last 30 days", spanMs: 30 * 24 * 3600_000, bucketSeconds: 86_400 },
};

function bucketLabel(spanMs) {
  return (bucket) => {
    const date = new Date(bucket);
    return spanMs <= ranges["24h"].spanMs
      ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : date.toLocaleDateString([], { month: "short", day: "numeric" });
  };
}

function countsOf(rows, keep) {
  const counts = new Map();
  for (const row of rows)
    if (keep(row)) counts.set(row.bucket, (counts.get(row.bucket) ?? 0) + row.count);
  return counts;
}

function summary(label, value, id) {
  return el(
    "div",
    { class: "figure" },
    el("span", { class: "figure-value", id }, value),
    el("span", { class: "figure-label" }, label),
  );
}

export async function showExecutive(container, _argument, params) {
  const rangeKey = params.get("range") in ranges ? params.get("range") : "24h";
  const range = ranges[rangeKey];
  const service = params.get("service") ?? "";

  const rangeSelect = el(
    "select",
    { name: "range" },
    Object.entries(ranges).map(([key, option]) =>
      el("option", { value: key, selected: key === rangeKey }, option.label),
    ),
  );
  const serviceInput = el("input", {
    name: "service",
    value: service,
    placeholder: "all services",
  });
  const form = el(
    "form",
    { class: "filters" },
    el("label", { class: "field" }, el("span", {}, "Period"), rangeSelect),
    el("label", { class: "field" }, el("span", {}, "Service"), serviceInput),
    el("button", { type: "submit" }, "Show"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#executive${query({ range: rangeSelect.value, service: serviceInput.value.trim() })}`;
  });

  const body = el("div", {}, el("p", {}, "Loading…"));
  replace(container, el("h1", {}, "Executive view"), form, body);

  const now = Date.now();
  const from = now - range.spanMs;
  const stats = await get(`/api/stats${query({ from, bucket: range.bucketSeconds, service })}`);
  const bucketMs = stats.bucket_seconds * 1000;
  const buckets = bucketStarts(from, now, bucketMs);
  const formatBucket = bucketLabel(range.spanMs);

  const total = stats.byType.reduce((sum, row) => sum + row.count, 0);
  const blocked = stats.byType
    .filter((row) => row.action === "blocked")
    .reduce((sum, row) => sum + row.count, 0);
  const falsePositives = stats.falsePositivesOverTime.reduce((sum, row) => sum + row.count, 0);

  const byType = new Map();
  for (const row of stats.byType)
    byType.set(row.attack_type, (byType.get(row.attack_type) ?? 0) + row.count);

  replace(
    body,
    el(
      "div",
      { class: "figures" },
      summary("detections", total, "total-detections"),
      summary("blocked", blocked, "total-blocked"),
      summary("false positives", falsePositives, "total-false-positives"),
    ),
    el("h2", {}, "Detections over time"),
    el(
      "p",
      { class: "legend" },
      el("span", { class: "swatch blocked" }),
      "blocked ",
      el("span", { class: "swatch monitored" }),
      "monitored (logged, not blocked)",
    ),
    stackedColumns({
      label: `Detections per ${range.bucketSeconds / 3600} hour(s), blocked and monitored`,
      buckets,
      formatBucket,
      series: [
        {
          name: "blocked",
          className: "blocked",
          counts: countsOf(stats.overTime, (row) => row.action === "blocked"),
        },
        {
          name: "monitored",
          className: "monitored",
          counts: countsOf(stats.overTime, (row) => row.action !== "blocked"),
        },
      ],
    }),
    el("h2", {}, "Detections by attack type"),
    byType.size === 0
      ? el("p", { class: "empty" }, "No detections in this period.")
      : horizontalBars({
          label: "Detections by attack type",
          rows: [...byType].sort((a, b) => b[1] - a[1]).map(([name, value]) => ({ name, value })),
        }),
    table(
      [
        { label: "Attack type", value: (row) => row.attack_type },
        { label: "Action", value: (row) => row.action },
        { label: "Events", value: (row) => String(row.count) },
      ],
      stats.byType,
      "No detections in this period.",
    ),
    el("h2", {}, "False positives marked"),
    line({
      label: "Events marked as false positives per bucket",
      buckets,
      counts: countsOf(stats.falsePositivesOverTime, () => true),
      formatBucket,
    }),
  );
}
