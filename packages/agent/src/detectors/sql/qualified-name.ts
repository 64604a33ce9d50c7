import type { TokenBuffer } from "./token-buffer";
import type { RunGrammar } from "./token-runs";

type Role = "name" | "dot" | "space" | "other";

/**
 * Qualified names such as `users.created_at` or `"public"."users"`: bare words and complete quoted
 * identifiers joined by dots without whitespace. Like one bare word, such a name refers to one column or
 * table, as a sort parameter does.
 */
export const qualifiedNameGrammar: RunGrammar<Role> = {
  space: "space",

  roleOf(query: string, tokens: TokenBuffer, index: number): Role {
    if (tokens.isUnterminated(index) || tokens.isInExecutableComment(index)) return "other";

    switch (tokens.kind(index)) {
      case "word":
      case "quoted-identifier":
        return "name";
      case "whitespace":
        return "space";
      case "punctuation":
        return query[tokens.start(index)] === "." ? "dot" : "other";
      default:
        return "other";
    }
  },

  canFollow(previous: Role | undefined, role: Role, spaceBetween: boolean): boolean {
    if (spaceBetween) return false;
    if (role === "name") return previous === "dot";
    if (role === "dot") return previous === "name";
    return false;
  },

  canStart: (role: Role) => role === "name",
  canEnd: (role: Role) => role === "name",
};
