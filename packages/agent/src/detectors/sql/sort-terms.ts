import type { TokenBuffer } from "./token-buffer";
import type { RunGrammar } from "./token-runs";

type Role = "name" | "dot" | "direction" | "comma" | "space" | "other";

/**
 * Sort terms such as `price DESC` or `users.name ASC, id DESC`: a (qualified) name, whitespace and a
 * direction keyword, comma-separated. Sort parameters often carry the direction with the column, and
 * such a run can add neither an operator, a call nor a subquery. A term without a direction is not part
 * of this grammar, so a list of bare names such as `1, id` (which turns `IN (...)` into a tautology)
 * is still a finding.
 */
export const sortTermsGrammar: RunGrammar<Role> = {
  space: "space",

  roleOf(query: string, tokens: TokenBuffer, index: number): Role {
    if (tokens.isUnterminated(index) || tokens.isInExecutableComment(index)) return "other";

    switch (tokens.kind(index)) {
      case "word":
        return isDirection(query.slice(tokens.start(index), tokens.end(index)))
          ? "direction"
          : "name";
      case "quoted-identifier":
        return "name";
      case "whitespace":
        return "space";
      case "punctuation": {
        const character = query[tokens.start(index)];
        if (character === ".") return "dot";
        return character === "," ? "comma" : "other";
      }
      default:
        return "other";
    }
  },

  canFollow(previous: Role | undefined, role: Role, spaceBetween: boolean): boolean {
    switch (role) {
      case "name":
        return (previous === "dot" && !spaceBetween) || previous === "comma";
      case "dot":
        return previous === "name" && !spaceBetween;
      case "direction":
        return previous === "name" && spaceBetween;
      case "comma":
        return previous === "direction";
      default:
        return false;
    }
  },

  canStart: (role: Role) => role === "name",
  canEnd: (role: Role) => role === "direction",
};

function isDirection(word: string): boolean {
  const upper = word.toUpperCase();
  return upper === "ASC" || upper === "DESC";
}
