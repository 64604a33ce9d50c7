import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectSqlInjection, type SqlDialect, sqlDialects } from "../../../src/detectors/sql";
import type { Finding, UserInput } from "../../../src/detectors/types";

function inputs(...values: string[]): UserInput[] {
  return values.map((value, index) => ({ source: "query", path: `query.p${index}`, value }));
}

function detect(query: string, dialect: SqlDialect, ...values: string[]): Finding | undefined {
  return detectSqlInjection(query, dialect, inputs(...values));
}

/** Asserts a finding for `value` at `offset`, by default its last occurrence in `query`, with `reason`. */
function assertAttack(
  query: string,
  dialect: SqlDialect,
  value: string,
  reason: string,
  offset = query.lastIndexOf(value),
): void {
  const finding = detect(query, dialect, value);
  assert.ok(finding, `expected a finding in ${dialect} for ${JSON.stringify(value)}`);
  assert.equal(finding.input?.value, value);
  assert.equal(finding.offset, offset);
  assert.equal(finding.reason, reason);
}

function assertSafe(query: string, dialect: SqlDialect, ...values: string[]): void {
  assert.equal(detect(query, dialect, ...values), undefined, `${dialect}: ${query}`);
}

describe("detector: attacks in every dialect", () => {
  for (const dialect of sqlDialects) {
    test(`${dialect} string literal breakout`, () => {
      assertAttack(
        "SELECT * FROM users WHERE name = '' OR '1'='1'",
        dialect,
        "' OR '1'='1",
        "spans-tokens",
      );
    });

    test(`${dialect} number tautology`, () => {
      assertAttack("SELECT * FROM users WHERE id = 1 or 1=1", dialect, "1 or 1=1", "spans-tokens");
    });

    test(`${dialect} quote and comment`, () => {
      assertAttack("SELECT * FROM users WHERE name = ''--'", dialect, "'--", "spans-tokens");
    });

    test(`${dialect} LIKE pattern breakout`, () => {
      const query = "SELECT * FROM posts WHERE title LIKE '%%' OR 1=1 OR title LIKE '%'";
      assertAttack(query, dialect, "%' OR 1=1 OR title LIKE '", "spans-tokens");
    });

    test(`${dialect} IN list breakout`, () => {
      const query = "SELECT * FROM users WHERE id IN (1,2) UNION SELECT password FROM users";
      assertAttack(query, dialect, "1,2) UNION SELECT password FROM users", "spans-tokens");
    });

    test(`${dialect} ORDER BY subquery`, () => {
      const query = "SELECT * FROM users ORDER BY (SELECT 1)";
      assertAttack(query, dialect, "(SELECT 1)", "spans-tokens");
    });

    test(`${dialect} stacked query`, () => {
      assertAttack(
        "SELECT * FROM users WHERE id = 1; DROP TABLE users",
        dialect,
        "1; DROP TABLE users",
        "spans-tokens",
      );
    });

    test(`${dialect} unterminated quote`, () => {
      const query = "SELECT * FROM users WHERE name = '''";
      assertAttack(query, dialect, "'", "unterminated-token", query.indexOf("'"));
    });

    test(`${dialect} comment opener removes a clause`, () => {
      const query = "SELECT * FROM users ORDER BY name -- LIMIT 10";
      assertAttack(query, dialect, "-- ", "comment-delimiter");
    });

    test(`${dialect} comment closer inside application comment`, () => {
      const query = "SELECT 1 /* user: */ OR 1=1 /* */";
      assertAttack(query, dialect, "*/ OR 1=1 /*", "spans-tokens");
    });

    test(`${dialect} input closes literal before whitespace`, () => {
      // Trimming the trailing space leaves `x'` inside `'x'`, but the application's closing quote now opens
      // a new literal.
      assertAttack(
        "SELECT * FROM t WHERE a = 'x' ' AND b = 'c'",
        dialect,
        "x' ",
        "quote-delimiter",
      );
    });

    test(`${dialect} quote and space before application quote`, () => {
      assertAttack("SELECT * FROM t WHERE b = '' '", dialect, "' ", "quote-delimiter");
    });

    test(`${dialect} input opens literal closed by application`, () => {
      assertAttack("SELECT * FROM t WHERE a = 'x AND b = ' || c", dialect, "'x", "quote-delimiter");
    });

    test(`${dialect} lone operator`, () => {
      assertAttack("SELECT a || b FROM t", dialect, "||", "non-value-token");
    });

    test(`${dialect} second occurrence judged`, () => {
      const query = "SELECT '1 OR 1=1' AS note FROM t WHERE id = 1 OR 1=1";
      assertAttack(query, dialect, "1 OR 1=1", "spans-tokens");
    });

    test(`${dialect} first attacking input reported`, () => {
      const query = "SELECT * FROM t WHERE name = 'bob' AND id = 2 OR 1=1";
      const finding = detect(query, dialect, "bob", "2 OR 1=1");
      assert.equal(finding?.input?.path, "query.p1");
    });
  }
});

describe("detector: quoted identifiers", () => {
  test("postgresql double quotes", () => {
    const query = 'SELECT "name" FROM users; DROP TABLE users; --" FROM users';
    assertAttack(query, "postgresql", 'name" FROM users; DROP TABLE users; --', "spans-tokens");
  });

  test("mysql backticks", () => {
    const query = "SELECT `name` FROM users WHERE 1=1 -- ` FROM users";
    assertAttack(query, "mysql", "name` FROM users WHERE 1=1 -- ", "spans-tokens");
  });

  test("sqlite brackets", () => {
    const query = "SELECT [name] FROM users; --] FROM users";
    assertAttack(query, "sqlite", "name] FROM users; --", "spans-tokens");
  });

  test("quotes doubled inside identifier", () => {
    assertSafe('SELECT "we""ird" FROM t', "postgresql", 'we""ird');
  });
});

describe("detector: backslashes by dialect", () => {
  test("lone backslash breaks a mysql literal", () => {
    assertAttack("SELECT * FROM t WHERE a = '\\'", "mysql", "\\", "unterminated-token");
  });

  test("lone backslash stays in postgresql and sqlite literals", () => {
    assertSafe("SELECT * FROM t WHERE a = '\\'", "postgresql", "\\");
    assertSafe("SELECT * FROM t WHERE a = '\\'", "sqlite", "\\");
  });

  test("backslash quote stays inside a mysql literal", () => {
    assertSafe("SELECT * FROM t WHERE a = '\\' OR 1=1 -- '", "mysql", "\\' OR 1=1 -- ");
  });

  test("backslash quote closes a postgresql literal", () => {
    const query = "SELECT * FROM t WHERE a = '\\' OR 1=1 -- '";
    assertAttack(query, "postgresql", "\\' OR 1=1 -- ", "spans-tokens");
  });

  test("two inputs: backslash swallows the next quote in mysql", () => {
    const query = "SELECT * FROM t WHERE a = '\\' AND b = ' OR 1=1 -- '";
    const finding = detect(query, "mysql", "\\", " OR 1=1 -- ");
    assert.equal(finding?.input?.value, " OR 1=1 -- ");
    assert.equal(finding?.reason, "spans-tokens");
  });

  test("two inputs: same query is benign in postgresql", () => {
    assertSafe(
      "SELECT * FROM t WHERE a = '\\' AND b = ' OR 1=1 -- '",
      "postgresql",
      "\\",
      " OR 1=1 -- ",
    );
  });

  test("escape string in postgresql", () => {
    const query = "SELECT * FROM t WHERE a = E'\\' OR 1=1 --'";
    assertSafe(query, "postgresql", "\\' OR 1=1 --");
  });
});

describe("detector: NUL characters", () => {
  test("sqlite stops reading at NUL", () => {
    assertAttack(
      "SELECT * FROM t WHERE name = 'a\0b' AND owner = 5",
      "sqlite",
      "a\0b",
      "unterminated-token",
    );
  });

  test("NUL stays inside postgresql and mysql literals", () => {
    assertSafe("SELECT * FROM t WHERE name = 'a\0b' AND owner = 5", "postgresql", "a\0b");
    assertSafe("SELECT * FROM t WHERE name = 'a\0b' AND owner = 5", "mysql", "a\0b");
  });

  test("NUL after a number", () => {
    for (const dialect of sqlDialects) {
      assertAttack("SELECT * FROM t WHERE id = 1\0 AND owner = 5", dialect, "1\0", "spans-tokens");
    }
  });
});

describe("detector: mysql executable comments", () => {
  test("union inside executable comment", () => {
    const query = "SELECT * FROM t WHERE id = 1 /*!50000 UNION SELECT password FROM users */";
    assertAttack(
      query,
      "mysql",
      "1 /*!50000 UNION SELECT password FROM users */",
      "executable-comment",
    );
  });

  test("same text is a comment in postgresql", () => {
    const query = "SELECT * FROM t WHERE id = 1 /*!50000 UNION SELECT password FROM users */";
    assertAttack(
      query,
      "postgresql",
      "1 /*!50000 UNION SELECT password FROM users */",
      "spans-tokens",
    );
  });

  test("value list inside executable comment", () => {
    const query = "SELECT * FROM t WHERE id IN (/*!50000 1,2 */)";
    assertAttack(query, "mysql", "1,2", "executable-comment");
    assertSafe(query, "postgresql", "1,2");
    assertSafe(query, "sqlite", "1,2");
  });

  test("one token inside executable comment is safe", () => {
    assertSafe("SELECT /*!40001 SQL_NO_CACHE */ * FROM t", "mysql", "SQL_NO_CACHE");
  });

  test("unterminated executable comment", () => {
    const query = "SELECT * FROM t WHERE id = 1 /*! OR 1=1";
    assertAttack(query, "mysql", "1 /*! OR 1=1", "unterminated-token");
  });

  test("executable comment delimiter alone", () => {
    assertAttack("SELECT 1 /*!50000 UNION SELECT 2 */", "mysql", "/*!50000", "executable-comment");
  });
});

describe("detector: postgresql dollar quoting", () => {
  test("breakout of a dollar-quoted literal", () => {
    const query = "SELECT $$$$ || (SELECT password FROM users) || $$$$";
    assertAttack(query, "postgresql", "$$ || (SELECT password FROM users) || $$", "spans-tokens");
  });

  test("unterminated dollar quote", () => {
    assertAttack("SELECT * FROM t WHERE id = $$", "postgresql", "$$", "unterminated-token");
  });

  test("quotes inside a tagged literal", () => {
    assertSafe("SELECT $body$it's $$ fine$body$", "postgresql", "it's $$ fine");
  });

  test("dollar quotes are not strings in mysql", () => {
    assertAttack("SELECT $$a' OR '1$$", "mysql", "a' OR '1", "spans-tokens");
  });
});

describe("detector: benign inputs", () => {
  for (const dialect of sqlDialects) {
    test(`${dialect} escaped apostrophe`, () => {
      assertSafe("SELECT * FROM users WHERE name = 'O''Brien'", dialect, "O'Brien");
    });

    test(`${dialect} sort direction and column`, () => {
      assertSafe("SELECT * FROM users ORDER BY created_at DESC", dialect, "DESC", "created_at");
      assertSafe("SELECT * FROM users ORDER BY created_at desc", dialect, " desc ");
    });

    test(`${dialect} value lists`, () => {
      assertSafe("SELECT * FROM t WHERE id IN (1,2,3)", dialect, "1,2,3");
      assertSafe("SELECT * FROM t WHERE id IN (1, -2, 3.5)", dialect, "1, -2, 3.5");
      assertSafe("SELECT * FROM t WHERE name IN ('a', 'b')", dialect, "'a', 'b'");
    });

    test(`${dialect} signed number`, () => {
      assertSafe("SELECT * FROM t WHERE id = -1", dialect, "-1");
    });

    test(`${dialect} input inside application literal`, () => {
      assertSafe(
        "SELECT * FROM t WHERE note = 'open or closed' AND id = 5",
        dialect,
        "open or closed",
      );
    });

    test(`${dialect} input absent`, () => {
      assertSafe("SELECT * FROM t WHERE id = 5", dialect, "' OR 1=1 --");
    });

    test(`${dialect} skipped inputs`, () => {
      assertSafe("SELECT a, b FROM t WHERE (c = 1)", dialect, "", ",", "(", "1", "   ");
    });

    test(`${dialect} lone quote in complete literals`, () => {
      assertSafe("SELECT * FROM t WHERE status = 'active' AND name = ''''", dialect, "'");
      assertSafe("SELECT * FROM t WHERE name = ''''''", dialect, "''");
    });

    test(`${dialect} input inside a comment body`, () => {
      assertSafe("SELECT 1 /* user: alice' or 1=1 */", dialect, "alice' or 1=1");
    });

    test(`${dialect} whole comment`, () => {
      assertSafe("SELECT 1 -- note", dialect, "-- note");
    });

    test(`${dialect} qualified sort column`, () => {
      assertSafe("SELECT * FROM users u ORDER BY u.created_at DESC", dialect, "u.created_at");
    });

    test(`${dialect} sort terms with direction`, () => {
      assertSafe("SELECT * FROM products ORDER BY price desc", dialect, "price desc");
      assertSafe(
        "SELECT * FROM users u ORDER BY u.name ASC, id DESC",
        dialect,
        "u.name ASC, id DESC",
      );
    });

    test(`${dialect} sort terms need a direction each`, () => {
      assertAttack("SELECT * FROM t WHERE id IN (1, id)", dialect, "1, id", "spans-tokens");
      assertAttack("SELECT * FROM t ORDER BY name, id", dialect, "name, id", "spans-tokens");
      assertAttack(
        "SELECT * FROM t ORDER BY name DESC, (SELECT 1)",
        dialect,
        "name DESC, (SELECT 1)",
        "spans-tokens",
      );
      assertAttack(
        "SELECT * FROM t ORDER BY name DESC LIMIT 1",
        dialect,
        "name DESC LIMIT 1",
        "spans-tokens",
      );
    });

    test(`${dialect} qualified name with a call`, () => {
      const query = "SELECT * FROM users ORDER BY pg_catalog.pg_sleep(5)";
      assertAttack(query, dialect, "pg_catalog.pg_sleep(5)", "spans-tokens");
    });

    test(`${dialect} substring of a word`, () => {
      assertSafe("SELECT username FROM users", dialect, "name");
    });

    test(`${dialect} range on a value list edge`, () => {
      assertAttack("SELECT * FROM t WHERE id IN (1,2,", dialect, "1,2,", "spans-tokens");
    });
  }

  test("mysql backslash-escaped apostrophe", () => {
    assertSafe("SELECT * FROM users WHERE name = 'O\\'Brien'", "mysql", "O'Brien");
  });

  test("postgresql placeholder equal to input", () => {
    assertSafe("SELECT * FROM users WHERE name = $1", "postgresql", "$1");
  });

  test("input inside a larger placeholder", () => {
    const query = "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    assertSafe(query, "postgresql", "$1", "12");
    assertSafe("SELECT * FROM users WHERE name = :name", "sqlite", "name");
  });

  test("whitespace between sign and number", () => {
    assertAttack("SELECT * FROM t WHERE id IN (- 1, 2)", "postgresql", "- 1, 2", "spans-tokens");
  });
});

describe("detector: inputs that swallow the closing quote", () => {
  test("postgresql trailing quote leaves query unterminated", () => {
    const query = "SELECT * FROM t WHERE a = 'abc'' AND b = 'x'";
    assertAttack(query, "postgresql", "abc'", "unterminated-token", query.indexOf("abc'"));
  });

  test("mysql trailing backslash leaves query unterminated", () => {
    const query = "SELECT * FROM t WHERE a = 'abc\\' AND b = 'x'";
    assertAttack(query, "mysql", "abc\\", "unterminated-token", query.indexOf("abc\\"));
  });

  test("correctly escaped trailing quote is safe", () => {
    assertSafe("SELECT * FROM t WHERE a = 'abc'''", "postgresql", "abc'");
    assertSafe("SELECT * FROM t WHERE a = 'abc'' suffix'", "postgresql", "abc'");
    assertSafe("SELECT * FROM t WHERE a = 'abc\\\\'", "mysql", "abc\\");
    assertSafe("SELECT * FROM t WHERE a = ''' OR 1=1 --'", "postgresql", "' OR 1=1 --");
  });
});
