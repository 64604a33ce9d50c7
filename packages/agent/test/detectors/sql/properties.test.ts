import assert from "node:assert/strict";
import { describe, test } from "node:test";

import fc from "fast-check";

import {
  detectSqlInjection,
  type SqlDialect,
  sqlDialects,
  tokenizeSql,
} from "../../../src/detectors/sql";
import type { UserInput } from "../../../src/detectors/types";

// Characters and sequences that open, close or escape tokens in at least one dialect.
// prettier-ignore
const sqlPieces = [
  "'", "''", '"', "`", "\\", "$", "$$", "$a$", "/*", "*/", "/*!", "/*!50000", "/*M!", "--", "-- ", "#", "[", "]",
  "E'", "U&'", "x'", "_utf8'", "N'", "?", "?1", ":n", "@n", "$1", "::", "=", "-", "+", "1", "1.5e3", "0x1F", ",",
  "(", ")", ";", " ", "\n", "\r", "\t", "\0", "a", "OR", "é", "😀", "\uD800",
];

// Every UTF-16 code unit, including lone surrogates, which `unit: "binary"` never produces.
const anyCodeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 })
  .map((codes) => String.fromCharCode(...codes));

const arbitraryText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  anyCodeUnits,
  fc.string({ unit: fc.constantFrom(...sqlPieces), maxLength: 60 }),
);

function userInputs(values: readonly string[]): UserInput[] {
  return values.map((value, index) => ({ source: "body", path: `body.v${index}`, value }));
}

describe("lexer properties", () => {
  for (const dialect of sqlDialects) {
    test(`${dialect} tokens cover input in order`, () => {
      fc.assert(
        fc.property(arbitraryText, (query) => {
          const tokens = tokenizeSql(query, dialect);

          let expectedStart = 0;
          for (const token of tokens) {
            assert.equal(token.start, expectedStart);
            assert.ok(token.end > token.start, "token is empty");
            assert.ok(token.start <= token.contentStart, "content starts before token");
            assert.ok(token.contentStart <= token.contentEnd, "content is reversed");
            assert.ok(token.contentEnd <= token.end, "content ends after token");
            expectedStart = token.end;
          }
          assert.equal(expectedStart, query.length);
        }),
        { numRuns: 2000 },
      );
    });
  }

  test("escaped literal stays one string", () => {
    const escapes: Record<SqlDialect, (value: string) => string> = {
      postgresql: (value) => value.replaceAll("'", "''"),
      mysql: (value) => value.replaceAll("\\", "\\\\").replaceAll("'", "\\'"),
      // SQLite stops reading at NUL, so no escaping can keep one inside a literal.
      sqlite: (value) => value.replaceAll("\0", "").replaceAll("'", "''"),
    };
    fc.assert(
      fc.property(arbitraryText, fc.constantFrom(...sqlDialects), (value, dialect) => {
        const literal = `'${escapes[dialect](value)}'`;
        const tokens = tokenizeSql(literal, dialect);

        assert.equal(tokens.length, 1);
        assert.equal(tokens[0]?.kind, "string");
        assert.equal(tokens[0]?.unterminated, undefined);
      }),
      { numRuns: 3000 },
    );
  });

  test("escaped identifier stays one identifier", () => {
    const quotes: Record<SqlDialect, string> = { postgresql: '"', mysql: "`", sqlite: '"' };
    fc.assert(
      fc.property(arbitraryText, fc.constantFrom(...sqlDialects), (value, dialect) => {
        const quote = quotes[dialect];
        const content = dialect === "sqlite" ? value.replaceAll("\0", "") : value;
        const identifier = quote + content.replaceAll(quote, quote + quote) + quote;
        const tokens = tokenizeSql(identifier, dialect);

        assert.equal(tokens.length, 1);
        assert.equal(tokens[0]?.kind, "quoted-identifier");
        assert.equal(tokens[0]?.unterminated, undefined);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("detector properties", () => {
  test("never throws and reports a real occurrence", () => {
    const scenario = fc.record({
      dialect: fc.constantFrom(...sqlDialects),
      query: arbitraryText,
      cuts: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
      extra: fc.array(arbitraryText, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(scenario, ({ dialect, query, cuts, extra }) => {
        // Substrings of the query make the detector judge occurrences, not only miss them.
        const slices = cuts.map(([from, length]) =>
          query.slice(from % (query.length + 1)).slice(0, length % 40),
        );
        const inputs = userInputs([...slices, ...extra]);
        const finding = detectSqlInjection(query, dialect, inputs);
        if (finding === undefined) return;

        const input = finding.input;
        assert.ok(input !== undefined && inputs.includes(input), "finding names a passed input");
        assert.equal(query.startsWith(input.value, finding.offset), true);
        assert.ok(finding.reason.length > 0);
      }),
      { numRuns: 3000 },
    );
  });

  // Characters that occur in no template below except `'`, `=` and space, so a correctly escaped input
  // can match the application's text only through quotes.
  const valueText = fc.string({
    unit: fc.constantFrom(
      "'",
      "''",
      '"',
      "\\",
      "`",
      "$",
      "$$",
      "/*",
      "*/",
      "--",
      "#",
      ";",
      "(",
      ")",
      "1",
      ",",
      "%",
      "\n",
      "é",
    ),
    minLength: 1,
    maxLength: 30,
  });

  test("escaped input is never flagged", () => {
    const escapes: Record<SqlDialect, (value: string) => string> = {
      postgresql: (value) => value.replaceAll("'", "''"),
      mysql: (value) => value.replaceAll("\\", "\\\\").replaceAll("'", "''"),
      sqlite: (value) => value.replaceAll("'", "''"),
    };
    fc.assert(
      fc.property(valueText, fc.constantFrom(...sqlDialects), (value, dialect) => {
        const query = `SELECT a FROM t WHERE b = '${escapes[dialect](value)}'`;
        assert.equal(detectSqlInjection(query, dialect, userInputs([value])), undefined, query);
      }),
      { numRuns: 3000 },
    );
  });

  test("raw input that breaks the literal is flagged", () => {
    // Literal content that keeps `'…'` one token, independent of the lexer.
    const staysInside: Record<SqlDialect, RegExp> = {
      postgresql: /^(?:[^']|'')*$/,
      mysql: /^(?:[^'\\]|''|\\[\s\S])*$/,
      sqlite: /^(?:[^'\0]|'')*$/,
    };
    const judged = valueText.filter((value) => value.length > 1 || `'"\`\\`.includes(value));
    fc.assert(
      fc.property(judged, fc.constantFrom(...sqlDialects), (value, dialect) => {
        fc.pre(!staysInside[dialect].test(value));
        const query = `SELECT a FROM t WHERE b = '${value}'`;
        assert.notEqual(detectSqlInjection(query, dialect, userInputs([value])), undefined, query);
      }),
      { numRuns: 3000 },
    );
  });
});
