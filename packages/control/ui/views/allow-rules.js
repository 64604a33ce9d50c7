// Writes allow rules as policy text and adds them to an existing policy text, YAML or JSON.

/** Writes one rule as a YAML flow mapping. JSON-quoted strings are valid YAML double-quoted scalars. */
function ruleLine(rule) {
  const keys = ["route", "method", "input", "attackType", "clientIp"].filter(
    (key) => rule[key] !== undefined,
  );
  return `{ ${keys.map((key) => `${key}: ${JSON.stringify(rule[key])}`).join(", ")} }`;
}

/** Writes the rules as an `allow:` block of a YAML policy. */
export function allowRuleYaml(rules) {
  return `allow:\n${rules.map((rule) => `  - ${ruleLine(rule)}`).join("\n")}\n`;
}

/**
 * Adds rules to a policy text. A JSON object gets them appended to its `allow` array. In YAML,
 * they go under an existing top-level `allow:` list, at the indentation of its first item, or
 * into a new `allow:` block at the end. Rules already present in a JSON `allow` are skipped.
 * NOTE: a YAML `allow` written in flow style (`allow: [...]`) is not recognized, so a second
 * `allow:` key would be appended and the server rejects the text as a duplicate key.
 */
export function addAllowRules(text, rules) {
  if (rules.length === 0) return text;

  if (text.trim().startsWith("{")) {
    const policy = JSON.parse(text);
    const allow = Array.isArray(policy.allow) ? policy.allow : [];
    const known = new Set(allow.map((rule) => JSON.stringify(rule)));
    for (const rule of rules) if (!known.has(JSON.stringify(rule))) allow.push(rule);
    policy.allow = allow;
    return `${JSON.stringify(policy, null, 2)}\n`;
  }

  const lines = text.split("\n");
  const start = lines.findIndex((line) => /^allow:\s*(#.*)?$/.test(line));
  if (start === -1) {
    const base = text === "" || text.endsWith("\n") ? text : `${text}\n`;
    return base + allowRuleYaml(rules);
  }

  const itemIndent = /^(\s*)-/.exec(lines[start + 1] ?? "")?.[1] ?? "  ";
  const added = rules.map((rule) => `${itemIndent}- ${ruleLine(rule)}`);
  lines.splice(start + 1, 0, ...added);
  return lines.join("\n");
}
