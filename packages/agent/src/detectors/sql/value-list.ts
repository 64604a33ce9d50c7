import type { SqlToken } from "./tokens";

// Role of a token in a value list such as `1, -2, 'a'`.
type Role = "number" | "string" | "comma" | "sign" | "space" | "other";

/**
 * Answers in O(1) whether a run of tokens is a value list: complete number and string literals separated by
 * commas, where a number may carry a `-` or `+` sign directly before it. Building it takes one pass over the
 * tokens, so judging many occurrences that span tokens stays linear in the query length.
 */
export class ValueListIndex {
  private readonly roles: Role[];
  // breaksBefore[i] counts tokens before index i that cannot follow the previous non-space token in a list.
  private readonly breaksBefore: Int32Array;

  constructor(query: string, tokens: readonly SqlToken[]) {
    this.roles = tokens.map((token) => roleOf(query, token));
    this.breaksBefore = countBreaks(this.roles);
  }

  /** Returns whether tokens `first` to `last`, both included, form a value list of more than one token. */
  isValueList(first: number, last: number): boolean {
    const firstRole = this.roles[first];
    const lastRole = this.roles[last];
    const startsElement = firstRole === "number" || firstRole === "string" || firstRole === "sign";
    const endsElement = lastRole === "number" || lastRole === "string";
    if (last <= first || !startsElement || !endsElement) return false;

    // The first token's own break is ignored because its predecessor lies outside the run.
    const breaks = (this.breaksBefore[last + 1] ?? 0) - (this.breaksBefore[first + 1] ?? 0);
    return breaks === 0;
  }
}

function roleOf(query: string, token: SqlToken): Role {
  if (token.unterminated || token.inExecutableComment) return "other";

  switch (token.kind) {
    case "number":
      return "number";
    case "string":
      return "string";
    case "whitespace":
      return "space";
    case "punctuation":
      return query[token.start] === "," ? "comma" : "other";
    case "operator": {
      const text = query.slice(token.start, token.end);
      return text === "-" || text === "+" ? "sign" : "other";
    }
    default:
      return "other";
  }
}

function countBreaks(roles: readonly Role[]): Int32Array {
  const breaksBefore = new Int32Array(roles.length + 1);
  let previous: Role = "other";
  let spaceSincePrevious = false;

  roles.forEach((role, index) => {
    const isBreak = role !== "space" && !canFollow(previous, role, spaceSincePrevious);
    breaksBefore[index + 1] = (breaksBefore[index] ?? 0) + (isBreak ? 1 : 0);

    if (role === "space") {
      spaceSincePrevious = true;
    } else {
      previous = role;
      spaceSincePrevious = false;
    }
  });
  return breaksBefore;
}

function canFollow(previous: Role, role: Role, spaceBetween: boolean): boolean {
  switch (role) {
    case "number":
      return previous === "comma" || (previous === "sign" && !spaceBetween);
    case "string":
    case "sign":
      return previous === "comma";
    case "comma":
      return previous === "number" || previous === "string";
    default:
      return false;
  }
}
