// An independent judge of code injection for the corpus tests. It parses the code that an
// application builds with acorn (a full ECMAScript parser). Then it compares the syntax tree
// around the payload with the tree that a neutral value gives in the same template.
import { parse, type Node } from "acorn";

export type OracleVerdict = "unparseable" | "breaks-out" | "stays-inside";

/** Global names that evaluate to a constant, as the detector's rule allows them. */
const constantNames = new Set(["undefined", "NaN", "Infinity"]);
const valueUnaryOperators = new Set(["-", "+", "!", "~"]);

/**
 * Operator nodes that only compute a value. Arithmetic input may regroup them (`2 + 0.1 + 0.2`
 * parses as `(2 + 0.1) + 0.2`), which changes no behaviour beyond the value.
 */
const valueOperatorTypes = new Set([
  "BinaryExpression",
  "LogicalExpression",
  "ConditionalExpression",
  "SequenceExpression",
  "UnaryExpression",
]);

interface Range {
  readonly start: number;
  readonly end: number;
}

function children(node: Node): Node[] {
  const found: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "loc" || key === "range") continue;
    const candidates: unknown[] = Array.isArray(value) ? value : [value];
    for (const candidate of candidates) {
      if (typeof candidate === "object" && candidate !== null && "type" in candidate) {
        found.push(candidate as Node);
      }
    }
  }
  return found;
}

interface Parsed {
  readonly root: Node;
  readonly comments: readonly Range[];
}

function parseScript(code: string): Parsed | undefined {
  const comments: Range[] = [];
  try {
    const root = parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      onComment: (_block, _text, start, end) => comments.push({ start, end }),
    });
    return { root, comments };
  } catch {
    return undefined;
  }
}

/** True when comments that lie within the range cover all of it but whitespace. */
function isOnlyComments(code: string, comments: readonly Range[], range: Range): boolean {
  let position = range.start;
  for (const comment of comments) {
    if (comment.end <= range.start || comment.start >= range.end) continue;
    if (comment.start < range.start || comment.end > range.end) return false;
    if (code.slice(position, comment.start).trim() !== "") return false;
    position = comment.end;
  }
  return position > range.start && code.slice(position, range.end).trim() === "";
}

function trimmed(code: string, range: Range): Range {
  let { start, end } = range;
  while (start < end && /\s/.test(code[start] ?? "")) start++;
  while (end > start && /\s/.test(code[end - 1] ?? "")) end--;
  return { start, end };
}

/** Returns the types of the nodes that strictly contain the range, from the root down. */
function enclosingTypes(root: Node, range: Range): string[] {
  const types: string[] = [];
  let current: Node | undefined = root;
  while (current !== undefined) {
    if (!valueOperatorTypes.has(current.type)) types.push(current.type);
    current = children(current).find(
      (child) =>
        child.start <= range.start &&
        child.end >= range.end &&
        !(child.start === range.start && child.end === range.end),
    );
  }
  return types;
}

/** True when the range is exactly one Identifier or Literal node. */
function isSingleToken(root: Node, range: Range): boolean {
  const pending: Node[] = [root];
  while (pending.length > 0) {
    const node = pending.pop() as Node;
    if (node.end <= range.start || node.start >= range.end) continue;
    if (node.start === range.start && node.end === range.end) {
      if (node.type === "Identifier" || node.type === "Literal") return true;
    }
    pending.push(...children(node));
  }
  return false;
}

/** True when every node of the subtree only computes a value from literals. */
function isValueSubtree(node: Node, isWhole: boolean): boolean {
  const anyNode = node as Node & Record<string, unknown>;
  switch (node.type) {
    case "Literal":
      return anyNode.regex === undefined || isWhole;
    case "Identifier":
      return constantNames.has(anyNode.name as string) || isWhole;
    case "UnaryExpression":
      if (!valueUnaryOperators.has(anyNode.operator as string)) return false;
      break;
    case "TemplateLiteral":
      if ((anyNode.expressions as unknown[]).length > 0) return false;
      break;
    case "Property":
      if (anyNode.computed === true || anyNode.kind !== "init" || anyNode.method === true)
        return false;
      if ((anyNode.key as Node).type !== "Literal") return false;
      return isValueSubtree(anyNode.value as Node, false);
    case "BinaryExpression":
    case "LogicalExpression":
    case "ConditionalExpression":
    case "ArrayExpression":
    case "ObjectExpression":
    case "SequenceExpression":
    case "TemplateElement":
      break;
    default:
      return false;
  }
  return children(node).every((child) => isValueSubtree(child, false));
}

/** Returns whether any node straddles a payload boundary or inside the payload does more than compute a value. */
function payloadAddsCode(root: Node, payload: Range): boolean {
  const pending: Node[] = [root];
  while (pending.length > 0) {
    const node = pending.pop() as Node;
    if (node.end <= payload.start || node.start >= payload.end) continue;

    const inside = node.start >= payload.start && node.end <= payload.end;
    if (inside) {
      const whole = node.start === payload.start && node.end === payload.end;
      if (!isValueSubtree(node, whole)) return true;
      continue;
    }
    const contains = node.start <= payload.start && node.end >= payload.end;
    if (!contains && !valueOperatorTypes.has(node.type)) return true;
    // A string or template text around the whole payload keeps it data.
    if (node.type === "Literal" || node.type === "TemplateElement") continue;
    pending.push(...children(node));
  }
  return false;
}

/**
 * Judges `before + payload + after` against `before + neutral + after`: the payload stays inside
 * when both parse, the nodes around it have the same types, and within it only literals and
 * value operators occur.
 */
export function judgeWithOracle(
  before: string,
  payload: string,
  after: string,
  neutral: string,
): OracleVerdict {
  const code = before + payload + after;
  const parsed = parseScript(code);
  if (parsed === undefined) return "unparseable";

  const neutralParsed = parseScript(before + neutral + after);
  if (neutralParsed === undefined)
    throw new Error(`neutral value does not parse in ${before}…${after}`);

  const payloadRange = trimmed(code, { start: before.length, end: before.length + payload.length });
  if (payloadRange.start === payloadRange.end) return "stays-inside";
  if (isOnlyComments(code, parsed.comments, payloadRange)) return "stays-inside";

  // One whole name or literal adds no token beyond itself, wherever line breaks put it.
  const root = parsed.root;
  if (isSingleToken(root, payloadRange)) return "stays-inside";
  const neutralRange = { start: before.length, end: before.length + neutral.length };

  const sameContext =
    enclosingTypes(root, payloadRange).join(">") ===
    enclosingTypes(neutralParsed.root, neutralRange).join(">");
  if (!sameContext || payloadAddsCode(root, payloadRange)) return "breaks-out";
  return "stays-inside";
}
