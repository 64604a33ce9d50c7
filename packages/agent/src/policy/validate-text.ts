import { formatProblem, parsePolicyText } from "./load";

/** The outcome of checking policy text: its version, or every problem found, one line each. */
export type PolicyCheck =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Checks policy text (YAML or JSON) as the agent would when loading it, without applying it.
 * `name` stands for the file in problem lines, such as `checkout/production:12: ...`.
 */
export function checkPolicyText(text: string, name = "policy"): PolicyCheck {
  const result = parsePolicyText(text, name);
  if (result.ok) return { ok: true, version: result.policy.version };
  return { ok: false, problems: result.problems.map(formatProblem) };
}
