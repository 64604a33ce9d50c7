import assert from "node:assert/strict";
import { describe, test } from "node:test";

import fc from "fast-check";

import {
  detectShellInjection,
  tokenizeShell,
  type ShellTokenKind,
} from "../../../src/detectors/shell";

/** Returns `kind:text` for each token, the form the table below compares. */
function lexed(command: string): string[] {
  return tokenizeShell(command).tokens.map(
    (token) => `${token.kind}:${command.slice(token.start, token.end)}`,
  );
}

function kindsOf(command: string): ShellTokenKind[] {
  return tokenizeShell(command).tokens.map((token) => token.kind);
}

function rolesOf(command: string): string[] {
  const { words } = tokenizeShell(command);
  return words.map((word) => `${command.slice(word.start, word.end)}=${word.role}`);
}

describe("shell lexer tokens", () => {
  test("words and blanks", () => {
    assert.deepEqual(lexed("ls  -la\tdir"), [
      "text:ls",
      "blank:  ",
      "text:-la",
      "blank:\t",
      "text:dir",
    ]);
  });

  test("single quotes keep everything", () => {
    assert.deepEqual(lexed("echo 'a $b; `c`'"), [
      "text:echo",
      "blank: ",
      "single-quoted:'a $b; `c`'",
    ]);
  });

  test("double quotes with expansion and escapes", () => {
    assert.deepEqual(lexed('"a $HOME \\" \\x"'), [
      'double-quote:"',
      "text:a ",
      "parameter:$HOME",
      "text: ",
      'escape:\\"',
      "text: ",
      "text:\\",
      "text:x",
      'double-quote:"',
    ]);
  });

  test("backslash escapes outside quotes", () => {
    assert.deepEqual(lexed("a\\ b\\;"), ["text:a", "escape:\\ ", "text:b", "escape:\\;"]);
  });

  test("command substitutions", () => {
    assert.deepEqual(lexed("x$(id)`w`"), [
      "text:x",
      "substitution-open:$(",
      "text:id",
      "substitution-close:)",
      "backtick:`",
      "text:w",
      "backtick:`",
    ]);
  });

  test("nested substitution in double quotes", () => {
    const kinds = kindsOf('"$(cat "$f")"');
    assert.deepEqual(kinds, [
      "double-quote",
      "substitution-open",
      "text",
      "blank",
      "double-quote",
      "parameter",
      "double-quote",
      "substitution-close",
      "double-quote",
    ]);
  });

  test("parameters and arithmetic", () => {
    assert.deepEqual(lexed("$A ${B:-x} $1 $? $((1+2))"), [
      "parameter:$A",
      "blank: ",
      "parameter:${B:-x}",
      "blank: ",
      "parameter:$1",
      "blank: ",
      "parameter:$?",
      "blank: ",
      "arithmetic:$((1+2))",
    ]);
  });

  test("lone dollar is text", () => {
    assert.deepEqual(lexed("a$ $"), ["text:a", "text:$", "blank: ", "text:$"]);
  });

  test("control operators", () => {
    const operators = tokenizeShell("a;b&&c||d|e&f|&g;;h")
      .tokens.filter((token) => token.kind === "operator")
      .map((token) => "a;b&&c||d|e&f|&g;;h".slice(token.start, token.end));
    assert.deepEqual(operators, [";", "&&", "||", "|", "&", "|&", ";;"]);
  });

  test("redirections", () => {
    const command = "a >o 2>&1 >>p <i <<<s 2>/dev/null &>all <&- 3<>f";
    const redirects = tokenizeShell(command)
      .tokens.filter((token) => token.kind === "redirect")
      .map((token) => command.slice(token.start, token.end));
    assert.deepEqual(redirects, [">", "2>&1", ">>", "<", "<<<", "2>", "&>", "<&-", "3<>"]);
  });

  test("digits inside a word are not a descriptor", () => {
    assert.deepEqual(lexed("a12>f"), ["text:a12", "redirect:>", "text:f"]);
  });

  test("newlines and comments", () => {
    assert.deepEqual(lexed("a # b ; c\nd#e"), [
      "text:a",
      "blank: ",
      "comment:# b ; c",
      "newline:\n",
      "text:d#e",
    ]);
  });

  test("glob, brace and tilde patterns", () => {
    assert.deepEqual(lexed("~/a*b?[c]{d,e}"), [
      "pattern:~",
      "text:/a",
      "pattern:*",
      "text:b",
      "pattern:?",
      "pattern:[",
      "text:c]",
      "pattern:{",
      "text:d,e}",
    ]);
  });

  test("tilde inside a word is text", () => {
    assert.deepEqual(lexed("a~b"), ["text:a~b"]);
  });
});

describe("shell lexer unterminated input", () => {
  test("single quote", () => {
    const [, , token] = tokenizeShell("echo 'abc").tokens;
    assert.equal(token?.kind, "single-quoted");
    assert.equal(token?.terminated, false);
  });

  test("double quote", () => {
    const [token] = tokenizeShell('"abc').tokens;
    assert.equal(token?.terminated, false);
    assert.equal(token?.partner, -1);
  });

  test("substitution and backtick", () => {
    assert.equal(tokenizeShell("$(id").tokens[0]?.terminated, false);
    assert.equal(tokenizeShell("`id").tokens[0]?.terminated, false);
  });

  test("trailing backslash", () => {
    const tokens = tokenizeShell("a\\").tokens;
    assert.equal(tokens[1]?.kind, "escape");
    assert.equal(tokens[1]?.terminated, false);
  });

  test("braced parameter", () => {
    assert.equal(tokenizeShell("${a").tokens[0]?.terminated, false);
  });

  test("paired delimiters name each other", () => {
    const tokens = tokenizeShell('"a"').tokens;
    assert.equal(tokens[0]?.partner, 2);
    assert.equal(tokens[2]?.partner, 0);
  });
});

describe("shell lexer word roles", () => {
  test("first word is the command", () => {
    assert.deepEqual(rolesOf("ls -l"), ["ls=command", "-l=argument"]);
  });

  test("assignments and keywords precede the command", () => {
    assert.deepEqual(rolesOf("A=1 B=2 env"), ["A=1=assignment", "B=2=assignment", "env=command"]);
    assert.deepEqual(rolesOf("if true; then ls; fi"), [
      "if=keyword",
      "true=command",
      "then=keyword",
      "ls=command",
      "fi=keyword",
    ]);
  });

  test("each operator starts a command", () => {
    const roles = rolesOf("a x; b && c | d\ne");
    assert.deepEqual(roles, [
      "a=command",
      "x=argument",
      "b=command",
      "c=command",
      "d=command",
      "e=command",
    ]);
  });

  test("redirection target is not the command", () => {
    assert.deepEqual(rolesOf(">out cmd arg"), [
      "out=redirect-target",
      "cmd=command",
      "arg=argument",
    ]);
  });

  test("substitution starts a command", () => {
    assert.deepEqual(rolesOf("echo $(id -u)"), [
      "echo=command",
      "$(id -u)=argument",
      "id=command",
      "-u=argument",
    ]);
  });

  test("quoted program is the command", () => {
    assert.deepEqual(rolesOf("'/bin/ls' x"), ["'/bin/ls'=command", "x=argument"]);
  });
});

// Characters and sequences that change the lexer's state.
// prettier-ignore
const shellPieces = [
  "'", '"', "`", "\\", "$", "$(", "$((", "${", "}", "(", ")", ";", ";;", "&", "&&", "|", "||", "<", ">", ">>",
  "<<<", "2>&1", "#", "~", "*", "?", "[", "{", " ", "\t", "\n", "\r", "a", "=", "-", "1", "é", "😀", "\uD800",
];

// Every UTF-16 code unit, lone surrogates included.
const anyCodeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 })
  .map((codes) => String.fromCharCode(...codes));

const arbitraryCommand = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  anyCodeUnits,
  fc.string({ unit: fc.constantFrom(...shellPieces), maxLength: 60 }),
);

describe("shell lexer properties", () => {
  test("detector never throws", () => {
    const pasted = fc.tuple(arbitraryCommand, arbitraryCommand, arbitraryCommand);
    fc.assert(
      fc.property(pasted, ([prefix, value, suffix]) => {
        const finding = detectShellInjection(`${prefix}${value}${suffix}`, [
          { source: "query", path: "query.v", value },
        ]);
        assert.ok(finding === undefined || typeof finding.reason === "string");
      }),
      { numRuns: 3000 },
    );
  });

  test("never throws and covers input", () => {
    fc.assert(
      fc.property(arbitraryCommand, (command) => {
        const { tokens } = tokenizeShell(command);
        let offset = 0;
        for (const token of tokens) {
          assert.equal(token.start, offset);
          assert.ok(
            token.end > token.start,
            `empty token at ${offset} in ${JSON.stringify(command)}`,
          );
          offset = token.end;
        }
        assert.equal(offset, command.length);
      }),
      { numRuns: 3000 },
    );
  });

  test("partners are mutual", () => {
    fc.assert(
      fc.property(arbitraryCommand, (command) => {
        const { tokens } = tokenizeShell(command);
        tokens.forEach((token, index) => {
          if (token.partner < 0) return;
          assert.equal(tokens[token.partner]?.partner, index);
        });
      }),
      { numRuns: 2000 },
    );
  });

  test("words lie inside the command", () => {
    fc.assert(
      fc.property(arbitraryCommand, (command) => {
        const { tokens, words } = tokenizeShell(command);
        for (const token of tokens) {
          if (token.word < 0) continue;
          const word = words[token.word];
          assert.ok(word !== undefined);
          assert.ok(word.start <= token.start);
          assert.ok(token.end <= word.end);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/**
 * Time limit for lexing 1 MiB of hostile text, in milliseconds. This test measured 10 to 600 ms per case
 * on a 2-core machine shared with other jobs. A quadratic lexer would need about 10^12 steps, or hours.
 */
const megabyteLimitMs = 3_000;

describe("shell lexer linear time", () => {
  const size = 1 << 20;
  const hostile: Record<string, string> = {
    "open substitutions": "$(".repeat(size / 2),
    "open quotes": "\"'".repeat(size / 2),
    "open braces": "${".repeat(size / 2),
    "open arithmetic": "$((".repeat(size / 3),
    backslashes: "\\".repeat(size),
    "digits before redirect": "1".repeat(size - 1) + ">",
    "digit runs": "1 ".repeat(size / 2),
    "backticks and quotes": '`"'.repeat(size / 2),
    "mixed pieces": shellPieces.join("").repeat(size / shellPieces.join("").length),
  };

  for (const [name, text] of Object.entries(hostile)) {
    test(`1 MiB of ${name}`, () => {
      const started = performance.now();
      const { tokens } = tokenizeShell(text);
      const elapsed = performance.now() - started;
      assert.ok(tokens.length > 0);
      assert.ok(elapsed < megabyteLimitMs, `took ${elapsed.toFixed(0)} ms`);
    });
  }
});
