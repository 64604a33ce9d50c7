import { hostname } from "node:os";

import type { ConfigProblem } from "../config";

/** Connection settings of the control plane client, from `RAMPART_CONTROL_URL` and `RAMPART_TOKEN`. */
export interface ControlSettings {
  /** Base URL of the control plane, ending with `/`; API paths are resolved against it. */
  readonly baseUrl: URL;
  /** Agent token (`rpt_...`). Sent only in the Authorization header, never logged. */
  readonly token: string;
  /** Instance name under which the agent registers: `RAMPART_INSTANCE`, else host name and pid. */
  readonly instance: string;
  /** Most events kept while the control plane cannot take them; the oldest are dropped beyond it. */
  readonly bufferEvents: number;
}

/** Default of `RAMPART_CONTROL_BUFFER`, in events. */
export const defaultBufferEvents = 10_000;
const minBufferEvents = 100;
const maxBufferEvents = 1_000_000;

/** Header values must be visible ASCII; anything else would make every request fail. */
const tokenPattern = /^[\x21-\x7e]{1,500}$/;

function parseBaseUrl(raw: string, problems: ConfigProblem[]): URL | undefined {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const valid =
    url !== undefined &&
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.username === "" &&
    url.password === "" &&
    url.search === "" &&
    url.hash === "";
  if (!valid || url === undefined) {
    problems.push({
      variable: "RAMPART_CONTROL_URL",
      value: raw,
      expected:
        "an http:// or https:// URL without credentials or query, such as http://127.0.0.1:7400",
      fallback: "no control plane (local policy and environment settings only)",
    });
    return undefined;
  }
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

function parseBufferEvents(raw: string | undefined, problems: ConfigProblem[]): number {
  const value = raw?.trim() ?? "";
  if (value === "") return defaultBufferEvents;

  const number = Number(value);
  if (Number.isInteger(number) && number >= minBufferEvents && number <= maxBufferEvents)
    return number;
  problems.push({
    variable: "RAMPART_CONTROL_BUFFER",
    value: raw ?? "",
    expected: `an integer from ${minBufferEvents} to ${maxBufferEvents} (events)`,
    fallback: String(defaultBufferEvents),
  });
  return defaultBufferEvents;
}

/**
 * Reads the control plane settings. Returns no settings when `RAMPART_CONTROL_URL` is unset, and
 * none with a problem when a value is invalid or the token is missing: the agent then runs on its
 * local policy alone. A token never appears in a problem.
 */
export function readControlSettings(env: NodeJS.ProcessEnv): {
  settings: ControlSettings | undefined;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const rawUrl = env.RAMPART_CONTROL_URL?.trim() ?? "";
  const token = env.RAMPART_TOKEN?.trim() ?? "";

  if (rawUrl === "") {
    if (token !== "")
      problems.push({
        variable: "RAMPART_CONTROL_URL",
        value: "",
        expected: "the control plane's URL, because RAMPART_TOKEN is set",
        fallback: "no control plane (the token is ignored)",
      });
    return { settings: undefined, problems };
  }

  const baseUrl = parseBaseUrl(rawUrl, problems);
  if (!tokenPattern.test(token)) {
    problems.push({
      variable: "RAMPART_TOKEN",
      value: token === "" ? "" : "(hidden)",
      expected: "the agent token created in the control plane (visible ASCII, no spaces)",
      fallback: "no control plane (local policy and environment settings only)",
    });
  }
  const bufferEvents = parseBufferEvents(env.RAMPART_CONTROL_BUFFER, problems);
  if (baseUrl === undefined || !tokenPattern.test(token)) return { settings: undefined, problems };

  const instance = env.RAMPART_INSTANCE?.trim() || `${hostname()}-${process.pid}`;
  return {
    settings: { baseUrl, token, instance: instance.slice(0, 200), bufferEvents },
    problems,
  };
}
