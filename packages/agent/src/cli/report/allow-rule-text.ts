import type { AllowRule } from "./allow-rules";

/** Writes a rule as `attack_type=… route=… input_path=…`, fields in a fixed order. */
export function allowRuleText(rule: AllowRule): string {
  const parts: string[] = [];
  if (rule.attack_type !== undefined) parts.push(`attack_type=${rule.attack_type}`);
  if (rule.route !== undefined) parts.push(`route=${rule.route}`);
  if (rule.input_path !== undefined) parts.push(`input_path=${rule.input_path}`);
  if (rule.method !== undefined) parts.push(`method=${rule.method}`);
  if (rule.client_ip !== undefined) parts.push(`client_ip=${rule.client_ip}`);
  return parts.join(" ");
}
