// Compares the detector with per-context oracles on the attack and benign corpus that
// test/helpers/corpus.ts loads. Each oracle is a few lines that decide from the payload alone whether it
// stays one token where the template puts it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectSqlInjection, type SqlDialect, sqlDialects } from "../../../src/detectors/sql";
import type { UserInput } from "../../../src/detectors/types";
import { corpusSkipReason, loadCorpus } from "../../helpers/corpus";

// Undefined when the corpus is present. Otherwise the suites below are skipped with this notice.
const skipReason = corpusSkipReason();

interface Context {
  readonly name: string;
  readonly dialects: readonly SqlDialect[];
  /** Returns the query that the application builds with the payload concatenated in. */
  readonly build: (payload: string, dialect: SqlDialect) => string;
  /** Returns whether the payload stays one token, or one value list, where `build` puts it. */
  readonly staysInside: (payload: string, dialect: SqlDialect) => boolean;
}

// SQL whitespace, which the detector trims. JavaScript's `\s` would add Unicode spaces that SQL lexes as
// identifier characters.
const SPACE = "[ \\t\\n\\v\\f\\r]";

const literalContent: Record<SqlDialect, RegExp> = {
  postgresql: /^(?:[^']|'')*$/,
  mysql: /^(?:[^'\\]|''|\\[\s\S])*$/,
  // SQLite stops reading the statement at NUL.
  sqlite: /^(?:[^'\0]|'')*$/,
};

const number = "[+-]?(?:0[xX][0-9A-Fa-f]+|(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?)";

// Whole literals, which may also form value lists.
const literals: Record<SqlDialect, string[]> = {
  postgresql: ["'(?:[^']|'')*'"],
  mysql: ["'(?:[^'\\\\]|''|\\\\[\\s\\S])*'", '"(?:[^"\\\\]|""|\\\\[\\s\\S])*"'],
  sqlite: ["'(?:[^'\\0]|'')*'"],
};

// Bare words and quoted identifiers. Joined by dots they form a qualified name such as `users.name`.
const names: Record<SqlDialect, string[]> = {
  postgresql: ["[A-Za-z_\\u0080-\\uffff][\\w$\\u0080-\\uffff]*", '"(?:[^"]|"")*"'],
  // MySQL identifiers may start with a digit or `$`.
  mysql: ["[\\w$\\u0080-\\uffff]+", "`(?:[^`]|``)*`"],
  sqlite: [
    "[A-Za-z_\\u0080-\\uffff][\\w$\\u0080-\\uffff]*",
    '"(?:[^"\\0]|"")*"',
    "`(?:[^`\\0]|``)*`",
    "\\[[^\\]\\0]*\\]",
  ],
};

// Whole block comments.
const blockComments: Record<SqlDialect, string> = {
  // Comments nest in PostgreSQL, so an inner `/*` is left out.
  postgresql: "/\\*(?:[^*/]|\\*(?!/)|/(?!\\*))*\\*/",
  // `/*!` and `/*M!` open executable comments, which are code.
  mysql: "/\\*(?!!|M!)(?:[^*]|\\*(?!/))*\\*/",
  sqlite: "/\\*(?:[^*\\0]|\\*(?!/))*\\*/",
};

// A line comment removes nothing when the payload ends the query.
const lineComments: Record<SqlDialect, string> = {
  postgresql: "--[^\\n\\r]*",
  mysql: "(?:#|--(?=[\\0-\\x20\\x7f]|$))[^\\n]*",
  sqlite: "--[^\\n\\0]*",
};

/**
 * Matches a comma-separated list of numbers and literals, a qualified name, or one whole comment. A list or
 * name may be a single token.
 */
function valuePattern(dialect: SqlDialect, endsQuery: boolean): RegExp {
  const element = `(?:${[number, ...literals[dialect]].join("|")})`;
  const list = `${element}(?:${SPACE}*,${SPACE}*${element})*`;
  const name = `(?:${names[dialect].join("|")})`;
  const qualifiedName = `${name}(?:\\.${name})*`;
  const comments = [blockComments[dialect], ...(endsQuery ? [lineComments[dialect]] : [])];
  return new RegExp(`^${SPACE}*(?:${[list, qualifiedName, ...comments].join("|")})${SPACE}*$`);
}

function patternsFor(endsQuery: boolean): Record<SqlDialect, RegExp> {
  const entries = sqlDialects.map((dialect) => [dialect, valuePattern(dialect, endsQuery)]);
  return Object.fromEntries(entries) as Record<SqlDialect, RegExp>;
}

const valueInsideQuery = patternsFor(false);
const valueEndingQuery = patternsFor(true);

const identifierQuote: Record<SqlDialect, string> = { postgresql: '"', mysql: "`", sqlite: '"' };

function quotedIdentifierStays(payload: string, dialect: SqlDialect): boolean {
  const quote = identifierQuote[dialect];
  const body = payload.replaceAll(quote + quote, "");
  return !body.includes(quote) && !(dialect === "sqlite" && payload.includes("\0"));
}

const contexts: readonly Context[] = [
  {
    name: "string literal",
    dialects: sqlDialects,
    build: (payload) => `SELECT id FROM users WHERE name = '${payload}' AND active = 1`,
    staysInside: (payload, dialect) => literalContent[dialect].test(payload),
  },
  {
    name: "double-quoted string",
    dialects: ["mysql"],
    build: (payload) => `SELECT id FROM users WHERE name = "${payload}" AND active = 1`,
    staysInside: (payload) => /^(?:[^"\\]|""|\\[\s\S])*$/.test(payload),
  },
  {
    name: "number",
    dialects: sqlDialects,
    build: (payload) => `SELECT id FROM users WHERE id = ${payload} AND active = 1`,
    staysInside: (payload, dialect) => valueInsideQuery[dialect].test(payload),
  },
  {
    name: "quoted identifier",
    dialects: sqlDialects,
    build: (payload, dialect) => {
      const quote = identifierQuote[dialect];
      return `SELECT ${quote}${payload}${quote} FROM users`;
    },
    staysInside: quotedIdentifierStays,
  },
  {
    name: "LIKE pattern",
    dialects: sqlDialects,
    build: (payload) => `SELECT id FROM posts WHERE title LIKE '%${payload}%'`,
    staysInside: (payload, dialect) => literalContent[dialect].test(`%${payload}%`),
  },
  {
    name: "ORDER BY",
    dialects: sqlDialects,
    build: (payload) => `SELECT id FROM users ORDER BY ${payload}`,
    staysInside: (payload, dialect) => valueEndingQuery[dialect].test(payload),
  },
];

/**
 * Returns whether the payload can change structure on its own. The detector skips empty values and most
 * single characters, and whitespace only separates tokens.
 */
function isJudged(value: string): boolean {
  if (/^[ \t\n\v\f\r]*$/.test(value)) return false;
  return value.length > 1 || `'"\`\\`.includes(value);
}

function asInputs(value: string): UserInput[] {
  return [{ source: "query", path: "query.q", value }];
}

function stringPayloads(name: string): string[] {
  return loadCorpus(name)
    .map((entry) => entry.payload)
    .filter((payload): payload is string => typeof payload === "string");
}

function preview(values: readonly string[]): string {
  return values
    .slice(0, 40)
    .map((value) => JSON.stringify(value))
    .join("\n  ");
}

describe("sqli corpus against oracles", { skip: skipReason }, () => {
  for (const context of contexts) {
    for (const dialect of context.dialects) {
      test(`${dialect} ${context.name}`, () => {
        const missed: string[] = [];
        const falseFlags: string[] = [];
        let breaking = 0;
        let flaggedBreaking = 0;
        let staying = 0;
        let unjudged = 0;

        for (const payload of stringPayloads("sqli")) {
          if (!isJudged(payload)) {
            unjudged++;
            continue;
          }

          const query = context.build(payload, dialect);
          const flagged = detectSqlInjection(query, dialect, asInputs(payload)) !== undefined;
          if (context.staysInside(payload, dialect)) {
            staying++;
            if (flagged) falseFlags.push(payload);
          } else {
            breaking++;
            if (flagged) flaggedBreaking++;
            else missed.push(payload);
          }
        }

        console.log(
          `# ${dialect} ${context.name}: flagged ${flaggedBreaking}/${breaking} oracle-breaking, ` +
            `${falseFlags.length}/${staying} staying inside flagged, ${unjudged} skipped as single characters or whitespace`,
        );
        assert.equal(
          missed.length,
          0,
          `missed ${missed.length} breaking payloads:\n  ${preview(missed)}`,
        );
        assert.equal(
          falseFlags.length,
          0,
          `flagged ${falseFlags.length} staying payloads:\n  ${preview(falseFlags)}`,
        );
      });
    }
  }
});

const escapeLiteral: Record<SqlDialect, (value: string) => string> = {
  postgresql: (value) => value.replaceAll("'", "''"),
  // Backslash escaping of `\` and `'`, as the mysql driver's escaper (sqlstring 2.3.1) does.
  mysql: (value) => value.replaceAll("\\", "\\\\").replaceAll("'", "\\'"),
  sqlite: (value) => value.replaceAll("'", "''"),
};

const parameterizedQuery: Record<SqlDialect, string> = {
  postgresql: "SELECT id, name FROM users WHERE name = $1 AND active = true",
  mysql: "SELECT id, name FROM users WHERE name = ? AND active = 1",
  sqlite: "SELECT id, name FROM users WHERE name = ? AND active = 1",
};

describe("benign corpus", { skip: skipReason }, () => {
  for (const dialect of sqlDialects) {
    test(`${dialect} escaped literal`, () => {
      // SQLite cannot carry NUL inside a statement, so values with NUL are left out there.
      const payloads = stringPayloads("benign").filter(
        (payload) => dialect !== "sqlite" || !payload.includes("\0"),
      );
      const flagged = payloads.filter((payload) => {
        const query = `SELECT id FROM users WHERE name = '${escapeLiteral[dialect](payload)}' AND active = 1`;
        return detectSqlInjection(query, dialect, asInputs(payload)) !== undefined;
      });

      console.log(
        `# ${dialect} benign escaped literal: ${flagged.length}/${payloads.length} flagged`,
      );
      assert.equal(flagged.length, 0, `flagged benign inputs:\n  ${preview(flagged)}`);
    });

    test(`${dialect} parameterized query`, () => {
      const payloads = stringPayloads("benign");
      const flagged = payloads.filter(
        (payload) =>
          detectSqlInjection(parameterizedQuery[dialect], dialect, asInputs(payload)) !== undefined,
      );

      console.log(
        `# ${dialect} benign parameterized: ${flagged.length}/${payloads.length} flagged`,
      );
      assert.equal(flagged.length, 0, `flagged benign inputs:\n  ${preview(flagged)}`);
    });
  }
});
