import { readFile } from "node:fs/promises";

import { compilePolicy, type CompiledAllowRule, type RequestFacts } from "../../policy/compiled";
import type { AllowRuleDocument, OneOrMany } from "../../policy/document";
import { formatProblem, loadPolicyFile } from "../../policy/load";
import { isAllowed } from "../../policy/decision";
import type { AttackType } from "../../telemetry/security-event";
import { CliError, exitCodes } from "../io";
import type { ReportedEvent } from "./read-events";

/**
 * One allow rule: an event matches when every field that the rule sets matches. `route` and
 * `input_path` may end in `*` to match any suffix.
 */
export interface AllowRule {
  route?: string;
  input_path?: string;
  attack_type?: string;
  /** Only in rules read from a policy file. */
  method?: string;
  /** Only in rules read from a policy file. */
  client_ip?: string;
}

/** Rules read from a policy file match with the policy's own matcher, exactly as the agent does. */
const policyMatchers = new WeakMap<AllowRule, CompiledAllowRule>();

const ruleFields = ["route", "input_path", "attack_type"] as const;

function validateRule(value: unknown, index: number): AllowRule {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CliError(`allow rule ${index} is not an object`, exitCodes.usage);

  const rule: AllowRule = {};
  for (const [key, field] of Object.entries(value)) {
    if (!(ruleFields as readonly string[]).includes(key))
      throw new CliError(
        `allow rule ${index} has unknown field "${key}"; expected ${ruleFields.join(", ")}`,
        exitCodes.usage,
      );
    if (typeof field !== "string" || field === "")
      throw new CliError(
        `allow rule ${index}: "${key}" must be a non-empty string`,
        exitCodes.usage,
      );
    rule[key as keyof AllowRule] = field;
  }
  if (Object.keys(rule).length === 0)
    throw new CliError(
      `allow rule ${index} sets no field, so it would match every event`,
      exitCodes.usage,
    );
  return rule;
}

function joined(value: OneOrMany<string> | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : value.join(",");
}

function describePolicyRule(rule: AllowRuleDocument): AllowRule {
  const described: AllowRule = {};
  const fields: [keyof AllowRule, string | undefined][] = [
    ["attack_type", joined(rule.attackType)],
    ["route", joined(rule.route)],
    ["input_path", joined(rule.input)],
    ["method", joined(rule.method)],
    ["client_ip", joined(rule.clientIp)],
  ];
  for (const [key, value] of fields) if (value !== undefined) described[key] = value;
  return described;
}

/** Reads the `allow` rules of a policy file, rejecting an invalid policy with its problems. */
function readPolicyAllowRules(file: string): AllowRule[] {
  const result = loadPolicyFile(file);
  if (!result.ok) {
    const problems = result.problems.map(formatProblem).join("\n");
    throw new CliError(`${file} is not a valid policy:\n${problems}`, exitCodes.usage);
  }

  const documents = result.policy.document.allow ?? [];
  const compiled = compilePolicy(result.policy.document, result.policy.version, {}).allowRules;
  return documents.map((document, index) => {
    const rule = describePolicyRule(document);
    const matcher = compiled[index];
    if (matcher !== undefined) policyMatchers.set(rule, matcher);
    return rule;
  });
}

function isPolicyText(file: string, parsed: unknown): boolean {
  if (/\.ya?ml$/i.test(file)) return true;
  return (
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && "allow" in parsed
  );
}

/**
 * Reads allow rules from a policy file (YAML, or JSON with an `allow` key: its `allow` rules),
 * or from a JSON file holding an array of rules or an object whose `rules` is one.
 */
export async function readAllowRules(file: string): Promise<AllowRule[]> {
  if (isPolicyText(file, undefined)) return readPolicyAllowRules(file);

  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read allow rules from ${file}: ${(error as Error).message}`);
  }
  if (isPolicyText(file, parsed)) return readPolicyAllowRules(file);

  const list = Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list))
    throw new CliError(
      `${file} must contain an array of allow rules or {"rules": [...]}`,
      exitCodes.usage,
    );
  return list.map(validateRule);
}

function matchesPattern(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

/** Returns the route of an event as reports show it: the route template when known, else the path. */
export function eventRoute(event: ReportedEvent): string | undefined {
  return event.request?.route ?? event.request?.path ?? undefined;
}

/** Builds the request facts of a logged event for the policy's matcher. */
function eventFacts(event: ReportedEvent): RequestFacts {
  return {
    routeOrPath: () => eventRoute(event) ?? "",
    method: () => event.request?.method ?? undefined,
    clientIp: () => event.request?.client_ip ?? undefined,
  };
}

/** Returns the index of the first rule that matches the event, or -1. */
export function matchingRule(rules: readonly AllowRule[], event: ReportedEvent): number {
  return rules.findIndex((rule) => {
    const matcher = policyMatchers.get(rule);
    if (matcher !== undefined) {
      const attackType = event.attack_type as AttackType;
      return isAllowed([matcher], attackType, event.input?.path ?? undefined, eventFacts(event));
    }
    return (
      (rule.attack_type === undefined || rule.attack_type === event.attack_type) &&
      (rule.route === undefined || matchesPattern(rule.route, eventRoute(event))) &&
      (rule.input_path === undefined || matchesPattern(rule.input_path, event.input?.path))
    );
  });
}
