import type { AllowRule } from "./allow-rules";

/** Writes a rule as `attack_type=… route=… input_path=…`, fields in a fixed order. */
export function allowRuleText(rule: AllowRule): string {
  const parts: string[] = [];
  if (rule.attack_type !== undefined) parts.push(`attack_type=${rule.attack_type}`);
  if (rule.route !== undefined) parts.push(`route=${rule.route}`);
  if (rule.input_path !== undefined) parts.push(`input_path=${rule.input_path}`);
  return parts.join(" ");
}
