import type { IncomingMessage } from "node:http";

import { InputCollector } from "../../context/input-collector";
import {
  buildQueryObject,
  collectParsedInputs,
  collectRawInputs,
  joinInputs,
  type StructuredInput,
} from "../../context/request-inputs";
import { detectCodeInjection } from "../../detectors/code";
import { detectXss } from "../../detectors/html";
import { detectNosqlInjection } from "../../detectors/nosql/detect";
import { findUserOperators } from "../../detectors/nosql/user-operators";
import { detectPathTraversal } from "../../detectors/path";
import { detectShellInjection } from "../../detectors/shell";
import { detectSqlInjection, type SqlDialect } from "../../detectors/sql";
import {
  categoryOfLiteral,
  classifyHostName,
  findHostChooser,
  isInternalCategory,
  targetFromUrl,
} from "../../detectors/ssrf";
import type { Finding, UserInput } from "../../detectors/types";
import type { AttackType } from "../../telemetry/security-event";

/** One fixture case of `rampart policy test`, as validated by the case schema. */
export interface PolicyCase {
  name?: string;
  method?: string;
  path: string;
  route?: string;
  query?: Record<string, unknown> | string;
  body?: unknown;
  headers?: Record<string, string>;
  clientIp?: string;
  sink: "sql" | "shell" | "path" | "ssrf" | "code" | "nosql" | "html";
  dialect?: SqlDialect;
  operation?: string;
  url?: string;
  filter?: unknown;
  expect: "blocked" | "monitored" | "allowed";
}

/** Attack type that each sink kind of a case is judged for. */
export const sinkAttackTypes: Record<PolicyCase["sink"], AttackType> = {
  sql: "sql_injection",
  shell: "shell_injection",
  path: "path_traversal",
  ssrf: "ssrf",
  code: "code_injection",
  nosql: "nosql_injection",
  html: "xss",
};

/** Appends `key=value` pairs for a query object, nesting with brackets the way `qs` writes them. */
function appendQuery(params: string[], prefix: string, value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) appendQuery(params, prefix, item);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value))
      appendQuery(params, `${prefix}[${key}]`, child);
  } else {
    params.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`);
  }
}

/** Builds the request URL of a case: its path plus the query, given as a string or an object. */
export function caseUrl(testCase: PolicyCase): string {
  const query = testCase.query;
  if (query === undefined) return testCase.path;
  if (typeof query === "string") return `${testCase.path}?${query.replace(/^\?/, "")}`;

  const params: string[] = [];
  for (const [key, value] of Object.entries(query)) appendQuery(params, key, value);
  return params.length === 0 ? testCase.path : `${testCase.path}?${params.join("&")}`;
}

/** The request of a case with the inputs the agent would extract from it. */
export interface ReplayedRequest {
  readonly inputs: readonly UserInput[];
  readonly structured: readonly StructuredInput[];
}

/** Collects the inputs of a case the way the agent collects them from a live request. */
export function replayRequest(testCase: PolicyCase): ReplayedRequest {
  const url = caseUrl(testCase);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(testCase.headers ?? {}))
    headers[name.toLowerCase()] = value;
  const req = { url, method: testCase.method ?? "GET", headers } as unknown as IncomingMessage;

  const raw = new InputCollector();
  collectRawInputs(req, raw);
  const parsed = new InputCollector();
  collectParsedInputs({ body: testCase.body, params: undefined }, parsed);

  const structured: StructuredInput[] = [
    { source: "query", path: "query", value: buildQueryObject(url) },
    { source: "body", path: "body", value: testCase.body },
    { source: "params", path: "params", value: undefined },
  ];
  return { inputs: joinInputs(parsed.inputs, raw.inputs), structured };
}

/**
 * SSRF without DNS: a finding when an input chose the host and the host is internal by its
 * literal address or its name. NOTE: the agent judges the address actually connected, after
 * DNS, so a public name that resolves to a private address is flagged there but not here.
 */
function detectSsrfWithoutDns(url: string, inputs: readonly UserInput[]): Finding | undefined {
  const target = targetFromUrl(url);
  if (target === undefined) return undefined;

  const input = findHostChooser(target, inputs);
  if (input === undefined) return undefined;
  const category = categoryOfLiteral(target.hostname) ?? classifyHostName(target.hostname);
  if (category === undefined || !isInternalCategory(category)) return undefined;
  return { input, offset: target.hostStart, reason: `user input chose a ${category} host` };
}

/** Runs the real detector of the case's sink on the case's operation. */
export function detectCase(testCase: PolicyCase, request: ReplayedRequest): Finding | undefined {
  const operation = testCase.operation ?? "";
  const { inputs } = request;
  switch (testCase.sink) {
    case "sql":
      return detectSqlInjection(operation, testCase.dialect ?? "postgresql", inputs);
    case "shell":
      return detectShellInjection(operation, inputs);
    case "path":
      return detectPathTraversal(operation, inputs);
    case "ssrf":
      return detectSsrfWithoutDns(testCase.url ?? operation, inputs);
    case "code":
      return detectCodeInjection(operation, inputs);
    case "html":
      return detectXss(operation, inputs);
    case "nosql": {
      const operators = findUserOperators(request.structured);
      const documents = [{ role: "filter" as const, value: testCase.filter }];
      return detectNosqlInjection(documents, operators, inputs);
    }
  }
}
