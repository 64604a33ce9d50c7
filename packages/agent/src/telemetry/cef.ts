import os from "node:os";

import { agentVersion } from "../version";
import type { SecurityEvent } from "./security-event";

/**
 * Formats events as ArcSight Common Event Format (CEF) 0 inside an RFC 5424 syslog message, the
 * form most SIEMs parse without a custom rule.
 */

/** Syslog facility 10, security/authorization messages (RFC 5424 section 6.2.1). */
const facility = 10;

/** Longest CEF extension value for the operation and input, in characters, to keep a message under a UDP datagram. */
const maxExtensionValue = 1024;

/** CEF header fields escape backslash and pipe. */
function escapeHeader(value: string): string {
  return value.replace(/[\\|]/g, (character) => `\\${character}`).replace(/[\r\n]+/g, " ");
}

/** CEF extension values escape backslash and equals, and write line breaks as \n and \r. */
function escapeExtension(value: string): string {
  const cut = value.length > maxExtensionValue ? `${value.slice(0, maxExtensionValue)}…` : value;
  return cut
    .replace(/[\\=]/g, (character) => `\\${character}`)
    .replace(/\r/g, "\\r")
    .replace(/\n/g, "\\n");
}

/** CEF severity from 0 to 10: a blocked attack ranks higher than one only logged. */
function cefSeverity(event: SecurityEvent): number {
  return event.action === "blocked" ? 8 : 5;
}

function extensionFields(event: SecurityEvent): [string, string | number | undefined][] {
  const request = event.request;
  return [
    ["rt", Date.parse(event.time)],
    ["act", event.action],
    ["externalId", event.event_id],
    ["src", request?.client_ip],
    ["requestMethod", request?.method],
    ["request", request?.path],
    ["requestClientApplication", request?.user_agent],
    ["cnt", event.count],
    ["cs1Label", "sink"],
    ["cs1", event.sink],
    ["cs2Label", "inputPath"],
    ["cs2", event.input?.path],
    ["cs3Label", "inputValue"],
    ["cs3", event.input?.value],
    ["cs4Label", "route"],
    ["cs4", request?.route],
    ["cs5Label", "requestId"],
    ["cs5", request?.request_id],
    ["cs6Label", "traceId"],
    ["cs6", event.trace_id],
    ["reason", event.reason],
    ["msg", event.operation],
  ];
}

/** Returns the CEF record of an event: `CEF:0|Rampart|Rampart Agent|<version>|<attack type>|<name>|<severity>|<extension>`. */
export function formatCef(event: SecurityEvent): string {
  const name = `${event.attack_type} ${event.action} at ${event.sink}`;
  const header = [
    "CEF:0",
    "Rampart",
    "Rampart Agent",
    escapeHeader(agentVersion),
    escapeHeader(event.attack_type),
    escapeHeader(name),
    String(cefSeverity(event)),
  ].join("|");

  const extension = extensionFields(event)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([key, value]) => `${key}=${escapeExtension(String(value))}`)
    .join(" ");
  return `${header}|${extension}`;
}

const hostname = os.hostname().replace(/\s/g, "") || "-";

/** Wraps the CEF record in an RFC 5424 header: `<PRI>1 TIMESTAMP HOST rampart PID - - CEF:…`. */
export function formatSyslogMessage(event: SecurityEvent): string {
  // Syslog severity: 4 warning for a blocked attack, 5 notice for one only logged.
  const severity = event.action === "blocked" ? 4 : 5;
  const priority = facility * 8 + severity;
  return `<${priority}>1 ${event.time} ${hostname} rampart ${process.pid} security-event - ${formatCef(event)}`;
}
