import type { TokenBuffer } from "./token-buffer";
import type { RunGrammar } from "./token-runs";

type Role = "number" | "string" | "comma" | "sign" | "space" | "other";

/**
 * Value lists such as `1, -2, 'a'` for an `IN (…)` list: complete number and string literals separated by
 * commas, where a number may carry a `-` or `+` sign directly before it.
 */
export const valueListGrammar: RunGrammar<Role> = {
  space: "space",

  roleOf(query: string, tokens: TokenBuffer, index: number): Role {
    if (tokens.isUnterminated(index) || tokens.isInExecutableComment(index)) return "other";

    const start = tokens.start(index);
    const length = tokens.end(index) - start;
    switch (tokens.kind(index)) {
      case "number":
        return "number";
      case "string":
        return "string";
      case "whitespace":
        return "space";
      case "punctuation":
        return query[start] === "," ? "comma" : "other";
      case "operator":
        return length === 1 && (query[start] === "-" || query[start] === "+") ? "sign" : "other";
      default:
        return "other";
    }
  },

  canFollow(previous: Role | undefined, role: Role, spaceBetween: boolean): boolean {
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
  },

  canStart: (role: Role) => role === "number" || role === "string" || role === "sign",
  canEnd: (role: Role) => role === "number" || role === "string",
};
