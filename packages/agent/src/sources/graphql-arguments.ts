/** The shape of graphql-js AST nodes that the walk reads; other fields are ignored. */
interface AstNode {
  readonly kind?: unknown;
  readonly name?: { readonly value?: unknown };
  readonly value?: unknown;
  readonly values?: readonly AstNode[];
  readonly fields?: readonly AstNode[];
  readonly arguments?: readonly AstNode[];
  readonly selectionSet?: { readonly selections?: readonly AstNode[] };
  readonly definitions?: readonly AstNode[];
}

/** Most AST nodes visited per document; a larger document keeps the arguments found so far. */
const maxVisitedNodes = 10_000;

/**
 * Converts an argument's literal to the value the resolver receives: strings, enum names and
 * numbers as text, lists and input objects as arrays and objects. Variables give undefined,
 * because their values are collected from the variables separately.
 */
function literalValue(node: AstNode | undefined, budget: { nodes: number }): unknown {
  if (node === undefined || --budget.nodes < 0) return undefined;

  switch (node.kind) {
    case "StringValue":
    case "EnumValue":
    case "IntValue":
    case "FloatValue":
      return typeof node.value === "string" ? node.value : undefined;
    case "ListValue":
      return (node.values ?? []).map((item) => literalValue(item, budget));
    case "ObjectValue": {
      const object: Record<string, unknown> = Object.create(null);
      for (const field of node.fields ?? []) {
        const name = field.name?.value;
        if (typeof name === "string") object[name] = literalValue(field.value as AstNode, budget);
      }
      return object;
    }
    default:
      return undefined;
  }
}

function addArgument(
  args: Record<string, Record<string, unknown>>,
  field: string,
  name: string,
  value: unknown,
) {
  const fieldArgs = (args[field] ??= Object.create(null) as Record<string, unknown>);
  const existing = fieldArgs[name];
  // The same field may be selected twice with different arguments (under aliases).
  if (existing === undefined) fieldArgs[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fieldArgs[name] = [existing, value];
}

/**
 * Collects the literal arguments written in a GraphQL document, by field and argument name
 * (`{ item(name: "x") }` gives `{ item: { name: "x" } }`), from every operation and fragment.
 * Attackers write values inline instead of in variables, so these are user input too.
 * Returns undefined when the document has no literal argument.
 */
export function literalArguments(document: unknown): Record<string, unknown> | undefined {
  if (typeof document !== "object" || document === null) return undefined;

  const args: Record<string, Record<string, unknown>> = Object.create(null);
  let found = false;
  const budget = { nodes: maxVisitedNodes };
  const pending: AstNode[] = [...((document as AstNode).definitions ?? [])];

  for (let node = pending.pop(); node !== undefined && budget.nodes > 0; node = pending.pop()) {
    budget.nodes--;
    const fieldName = node.name?.value;
    if (node.kind === "Field" && typeof fieldName === "string") {
      for (const argument of node.arguments ?? []) {
        const name = argument.name?.value;
        const value = literalValue(argument.value as AstNode, budget);
        if (typeof name !== "string" || value === undefined) continue;
        addArgument(args, fieldName, name, value);
        found = true;
      }
    }
    for (const child of node.selectionSet?.selections ?? []) pending.push(child);
  }
  return found ? args : undefined;
}
