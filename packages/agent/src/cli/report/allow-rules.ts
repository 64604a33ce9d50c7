import { readFile } from "node:fs/promises";

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
}

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

/** Reads allow rules from a JSON file: an array of rules, or an object whose `rules` is one. */
export async function readAllowRules(file: string): Promise<AllowRule[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read allow rules from ${file}: ${(error as Error).message}`);
  }

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

/** Returns the index of the first rule that matches the event, or -1. */
export function matchingRule(rules: readonly AllowRule[], event: ReportedEvent): number {
  return rules.findIndex(
    (rule) =>
      (rule.attack_type === undefined || rule.attack_type === event.attack_type) &&
      (rule.route === undefined || matchesPattern(rule.route, eventRoute(event))) &&
      (rule.input_path === undefined || matchesPattern(rule.input_path, event.input?.path)),
  );
}
