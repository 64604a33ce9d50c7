// Parsers for what demo-telemetry.mjs receives: JSON Lines files (with rotated ones), CEF syslog
// messages, Slack webhook texts, Prometheus text and the OpenTelemetry preload's JSON.

import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Lists the events file and its rotated copies (`file.1` is the newest), oldest first. */
export async function eventFiles(file) {
  const name = basename(file);
  const rotated = (await readdir(dirname(file)))
    .map((entry) => ({ entry, index: Number(entry.slice(name.length + 1)) }))
    .filter(({ entry, index }) => entry.startsWith(`${name}.`) && Number.isInteger(index))
    .sort((a, b) => b.index - a.index)
    .map(({ entry }) => join(dirname(file), entry));
  return [...rotated, file];
}

/** Reads the complete lines of every events file, oldest first; a line being written is skipped. */
export async function readEventLines(file) {
  const lines = [];
  for (const path of await eventFiles(file)) {
    const text = await readFile(path, "utf8").catch(() => "");
    const complete = text.slice(0, text.lastIndexOf("\n") + 1);
    for (const line of complete.split("\n")) if (line.trim() !== "") lines.push(line);
  }
  return lines;
}

/** Parses event lines, keeping only security events (agent log lines have no `event_id`). */
export function parseEvents(lines) {
  return lines.map((line) => JSON.parse(line)).filter((event) => event.event_id !== undefined);
}

/**
 * Returns the key under which webhook and syslog deduplicate events: attack type, route (else URL path),
 * input path and client address, as docs/telemetry.md describes.
 */
export function dedupIdentity(event) {
  const request = event.request ?? {};
  return [
    event.attack_type,
    request.route ?? request.path ?? "",
    event.input?.path ?? "",
    request.client_ip ?? "",
  ].join("|");
}

const cefEscapes = { "\\\\": "\\", "\\=": "=", "\\n": "\n", "\\r": "\r" };

/**
 * Parses the CEF record of an RFC 5424 syslog message: the signature id (the attack type) and the
 * extension fields, unescaped. Returns null when the message has no CEF record.
 */
export function parseCef(message) {
  const start = message.indexOf("CEF:0|");
  if (start === -1) return null;

  // Seven header fields separated by unescaped "|", then the extension.
  const parts = message.slice(start).split(/(?<!\\)\|/);
  if (parts.length < 8) return null;
  const extension = parts.slice(7).join("|");

  const fields = {};
  const keyPattern = /(?:^| )(\w+)=/g;
  const keys = [...extension.matchAll(keyPattern)];
  keys.forEach((match, index) => {
    const valueStart = match.index + match[0].length;
    const valueEnd = index + 1 < keys.length ? keys[index + 1].index : extension.length;
    fields[match[1]] = extension
      .slice(valueStart, valueEnd)
      .replace(/\\[\\=nr]/g, (escape) => cefEscapes[escape]);
  });
  return { signatureId: parts[4], fields };
}

/** Reads the action, attack type, event id and trace id out of a Slack message of the agent. */
export function parseSlackText(text) {
  return {
    action: /^\*Rampart (\w+) (\w+)\*/.exec(text)?.[1] ?? null,
    attackType: /^\*Rampart \w+ (\w+)\*/.exec(text)?.[1] ?? null,
    eventId: /^event: ([0-9a-f-]{36})/m.exec(text)?.[1] ?? null,
    traceId: /^trace: ([0-9a-f]{32})$/m.exec(text)?.[1] ?? null,
  };
}

/** Parses `name{label="value",...} number` sample lines of the Prometheus text format. */
export function parsePrometheusSamples(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;

    const labels = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sums the samples of one metric whose labels include every entry of `labels`. */
export function sumSamples(samples, name, labels = {}) {
  return samples
    .filter((sample) => sample.name === name)
    .filter((sample) =>
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((total, sample) => total + sample.value, 0);
}

/** Counts items per key, as `key: count` joined with ", ", keys sorted. */
export function countBy(items, keyOf) {
  const counts = new Map();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([key, count]) => `${key}: ${count}`)
    .join(", ");
}
