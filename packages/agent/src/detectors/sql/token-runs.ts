import type { TokenBuffer } from "./token-buffer";

/** A grammar for runs of tokens, such as value lists, given as the roles tokens play and their allowed order. */
export interface RunGrammar<Role> {
  roleOf(query: string, tokens: TokenBuffer, index: number): Role;
  /** Returns whether a token of `role` may come next after `previous`, with whitespace between or not. */
  canFollow(previous: Role | undefined, role: Role, spaceBetween: boolean): boolean;
  canStart(role: Role): boolean;
  canEnd(role: Role): boolean;
  /** Role of whitespace, which the run may contain wherever `canFollow` accepts the space. */
  readonly space: Role;
}

/** Decides whether tokens `first` to `last`, both included, form a run of more than one token. */
export interface RunMatcher {
  matches(first: number, last: number): boolean;
}

/**
 * Decides in O(1) whether a run of tokens matches a grammar. Building it takes one pass over the tokens, so
 * judging many occurrences that span tokens stays linear in the query length.
 */
export class TokenRunIndex<Role> implements RunMatcher {
  private readonly roles: Role[] = [];
  // breaksBefore[i] counts tokens before index i that cannot follow the previous non-space token.
  private readonly breaksBefore: Int32Array;

  constructor(
    query: string,
    tokens: TokenBuffer,
    private readonly grammar: RunGrammar<Role>,
  ) {
    for (let index = 0; index < tokens.count; index++) {
      this.roles.push(grammar.roleOf(query, tokens, index));
    }
    this.breaksBefore = this.countBreaks();
  }

  matches(first: number, last: number): boolean {
    const firstRole = this.roles[first];
    const lastRole = this.roles[last];
    if (last <= first || firstRole === undefined || lastRole === undefined) return false;
    if (!this.grammar.canStart(firstRole) || !this.grammar.canEnd(lastRole)) return false;

    // The first token's own break is ignored because its predecessor lies outside the run.
    const breaks = (this.breaksBefore[last + 1] ?? 0) - (this.breaksBefore[first + 1] ?? 0);
    return breaks === 0;
  }

  private countBreaks(): Int32Array {
    const breaksBefore = new Int32Array(this.roles.length + 1);
    let previous: Role | undefined;
    let spaceSincePrevious = false;

    this.roles.forEach((role, index) => {
      const isSpace = role === this.grammar.space;
      const isBreak = !isSpace && !this.grammar.canFollow(previous, role, spaceSincePrevious);
      breaksBefore[index + 1] = (breaksBefore[index] ?? 0) + (isBreak ? 1 : 0);

      if (isSpace) {
        spaceSincePrevious = true;
      } else {
        previous = role;
        spaceSincePrevious = false;
      }
    });
    return breaksBefore;
  }
}
