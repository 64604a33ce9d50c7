import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  detectArgumentInjection,
  detectProgramFromInput,
  detectShellInjection,
  shellScriptArgument,
} from "../../../src/detectors/shell";
import type { UserInput } from "../../../src/detectors/types";

function inputs(...values: string[]): UserInput[] {
  return values.map((value, index) => ({ source: "query", path: `query.v${index}`, value }));
}

/** Returns the reason the detector gives for `value` inside `command`, or undefined when it is safe. */
function reasonFor(command: string, value: string): string | undefined {
  return detectShellInjection(command, inputs(value))?.reason;
}

describe("shell detector safe inputs", () => {
  const cases: Array<[string, string, string]> = [
    ["email single-quoted", "mail -s 'Hi' 'ann.lee+news@example.com'", "ann.lee+news@example.com"],
    ["email double-quoted", 'mail -s "Hi" "ann.lee@example.com"', "ann.lee@example.com"],
    ["email unquoted", "mail ann.lee@example.com", "ann.lee@example.com"],
    ["comma list quoted", "report --ids '12,15,22'", "12,15,22"],
    ["comma list unquoted", "report --ids 12,15,22", "12,15,22"],
    [
      "sentence single-quoted",
      "echo 'Hello there; how are you & yours?'",
      "Hello there; how are you & yours?",
    ],
    [
      "sentence double-quoted",
      'logger "Order #42 shipped | ETA (2 days)"',
      "Order #42 shipped | ETA (2 days)",
    ],
    [
      "quoted path with spaces",
      "ls -la '/srv/My Files/2024 report.pdf'",
      "/srv/My Files/2024 report.pdf",
    ],
    ["file name with dots", "convert photo.v2.final.png out.jpg", "photo.v2.final.png"],
    ["plain word argument", "ping -c 1 example.org", "example.org"],
    ["newline inside quotes", "printf '%s' 'line one\nline two'", "line one\nline two"],
    ["dollar inside single quotes", "echo '$(id) `id` $HOME'", "$(id) `id` $HOME"],
    ["single quote inside double quotes", 'echo "Who\'s there?"', "Who's there?"],
    ["app-escaped dollar in double quotes", 'echo "costs \\$5"', "costs $5"],
    ["app-escaped quote in double quotes", 'echo "say \\"hi\\""', 'say "hi"'],
    ["balanced quotes of its own", 'grep "a b" notes.txt', '"a b"'],
    ["quoted word after an option", "git commit -m 'fix: parser'", "fix: parser"],
    ["variable name the app wrote", "echo $HOME/docs", "HOME"],
    ["text inside a comment", "backup.sh # nightly run", "nightly run"],
  ];

  for (const [name, command, value] of cases) {
    test(name, () => {
      assert.equal(reasonFor(command, value), undefined);
    });
  }
});

describe("shell detector app escaping", () => {
  // `'\''` and `'"'"'` are how escaping functions write a quote inside single quotes.
  test("value ending with a quote", () => {
    assert.equal(reasonFor("grep -F 'the students'\\''' notes", "the students'"), undefined);
  });

  test("value starting with a quote", () => {
    assert.equal(reasonFor("grep -F ''\\''quoted' notes", "'quoted"), undefined);
  });

  test("value of two quotes", () => {
    assert.equal(reasonFor("echo ''\\'''\\'''", "''"), undefined);
  });

  test("double-quote style escape", () => {
    assert.equal(reasonFor(`grep -F 'the students'"'"'' notes`, "the students'"), undefined);
  });

  test("lone quote matching app quotes", () => {
    assert.equal(reasonFor("grep -F 'a' notes", "'"), undefined);
  });
});

describe("shell detector attacks", () => {
  const cases: Array<[string, string, string, string]> = [
    ["semicolon", "ping -c 1 127.0.0.1; id", "127.0.0.1; id", "command-separator"],
    ["pipe without blanks", "ping -c 1 x|id", "x|id", "command-separator"],
    ["and-and", "nslookup a&&id", "a&&id", "command-separator"],
    ["newline", "ping -c 1 a\nid", "a\nid", "command-separator"],
    ["dollar substitution", "ping -c 1 $(id)", "$(id)", "command-substitution"],
    ["backticks", "ping -c 1 `id`", "`id`", "command-substitution"],
    ["substitution in double quotes", 'echo "$(id)"', "$(id)", "command-substitution"],
    ["backticks in double quotes", 'echo "`id`"', "`id`", "command-substitution"],
    ["variable in double quotes", 'echo "$PATH"', "$PATH", "parameter-expansion"],
    [
      "IFS evasion",
      "ping -c 1 a;cat${IFS}/etc/passwd",
      "a;cat${IFS}/etc/passwd",
      "command-separator",
    ],
    ["only IFS", "cat${IFS}/etc/passwd", "${IFS}/etc/passwd", "parameter-expansion"],
    ["extra word", "ping -c 1 127.0.0.1 -f", "127.0.0.1 -f", "word-split"],
    ["redirection", "echo a>/tmp/x", "a>/tmp/x", "redirection"],
    ["glob", "cat /etc/pass*", "/etc/pass*", "glob"],
    ["brace expansion", "echo {a,b}", "{a,b}", "glob"],
    ["leading tilde", "ls ~root", "~root", "glob"],
    ["comment", "rm -f #x /tmp/a", "#x", "comment"],
    ["close single quote", "echo 'x'; id; ''", "x'; id; '", "breaks-quote"],
    ["close double quote", 'echo "x"; id; ""', 'x"; id; "', "breaks-quote"],
    ["trailing backslash", 'echo "a\\" b"', "a\\", "trailing-backslash"],
    ["unquoted trailing backslash", "echo a\\ b", "a\\", "trailing-backslash"],
    ["lone quote left open", "echo '''", "'", "unterminated-quote"],
    ["lone backtick left open", "ping -c 1 `", "`", "unterminated-quote"],
    ["quote opened at end", "echo 'abc", "'abc", "unterminated-quote"],
  ];

  for (const [name, command, value, reason] of cases) {
    test(name, () => {
      assert.equal(reasonFor(command, value), reason);
    });
  }
});

describe("shell detector command position", () => {
  test("program from input", () => {
    assert.equal(reasonFor("whoami", "whoami"), "command-position");
  });

  test("program with arguments", () => {
    assert.equal(reasonFor("convert a.png b.jpg", "convert"), "command-position");
  });

  test("program after assignment", () => {
    assert.equal(reasonFor("LANG=C sort -u", "sort"), "command-position");
  });

  test("quoted program", () => {
    assert.equal(reasonFor("'/usr/bin/id' -u", "/usr/bin/id"), "command-position");
  });

  test("path starting the program", () => {
    assert.equal(reasonFor("/opt/tools/run.sh x", "/opt/tools"), "command-position");
  });

  test("program after a separator", () => {
    assert.equal(reasonFor("cd /srv && make", "make"), "command-position");
  });

  test("route word naming the program is the app's own text", () => {
    const segment: UserInput = { source: "path", path: "path.1", value: "grep" };
    assert.equal(detectShellInjection('grep -c "x" notes.txt', [segment]), undefined);
    assert.equal(detectProgramFromInput("grep", [segment]), undefined);

    const param: UserInput = { source: "params", path: "params.tool", value: "grep" };
    assert.equal(
      detectShellInjection('grep -c "x" notes.txt', [param])?.reason,
      "command-position",
    );
    assert.equal(detectProgramFromInput("grep", [param])?.reason, "program-from-input");
  });

  test("route word still judged when it adds structure", () => {
    const segment: UserInput = { source: "path", path: "path.1", value: "a;id" };
    assert.equal(detectShellInjection("wc -l a;id", [segment])?.reason, "command-separator");
  });

  test("suffix of the program is not", () => {
    assert.equal(reasonFor("/usr/bin/convert a b", "convert"), undefined);
  });

  test("argument equal to a program name is not", () => {
    assert.equal(reasonFor("which git", "git"), undefined);
  });

  test("single letter is not", () => {
    assert.equal(reasonFor("w", "w"), undefined);
  });
});

describe("shell detector occurrences", () => {
  test("every occurrence is judged", () => {
    const finding = detectShellInjection("echo 'a;b' a;b", inputs("a;b"));
    assert.equal(finding?.offset, 11);
    assert.equal(finding?.reason, "command-separator");
  });

  test("finding names the input", () => {
    const finding = detectShellInjection("echo $(id)", inputs("hello", "$(id)"));
    assert.equal(finding?.input?.path, "query.v1");
  });

  test("absent and empty inputs", () => {
    assert.equal(detectShellInjection("ls -la", inputs("", "nope", ";")), undefined);
  });

  test("long repeated input stays fast", () => {
    const piece = `'a'"b"`;
    const value = piece.repeat(10_000);
    const command = `echo ${piece.repeat(20_000)}`;
    const started = performance.now();
    const finding = detectShellInjection(command, inputs(value));
    const elapsed = performance.now() - started;
    assert.equal(finding, undefined);
    assert.ok(elapsed < 2_000, `took ${elapsed.toFixed(0)} ms`);
  });
});

describe("shell detector nested shells", () => {
  test("double-quoted script", () => {
    assert.equal(reasonFor('bash -c "ls a; id"', "a; id"), "command-separator");
  });

  test("single-quoted script", () => {
    assert.equal(reasonFor("sh -c 'echo $(id)'", "$(id)"), "command-substitution");
  });

  test("script two levels deep", () => {
    assert.equal(reasonFor(`sh -c "sh -c 'ls a;id'"`, "a;id"), "command-separator");
  });

  test("finding points at the script", () => {
    const finding = detectShellInjection('cd /srv && bash -c "ls a|id"', inputs("a|id"));
    assert.equal(finding?.offset, 19);
  });

  test("quoted inside the script", () => {
    assert.equal(reasonFor(`bash -c "ls 'My Files'"`, "My Files"), undefined);
  });

  test("split inside the script", () => {
    assert.equal(reasonFor('bash -c "ls My Files"', "My Files"), "word-split");
  });

  test("plain word in script", () => {
    assert.equal(reasonFor('bash -c "ls /tmp"', "/tmp"), undefined);
  });
});

describe("shell script arguments", () => {
  const cases: Array<[string, string[], string | undefined]> = [
    ["sh", ["-c", "ls x"], "ls x"],
    ["/bin/sh", ["-c", "ls x", "name"], "ls x"],
    ["bash", ["-lc", "ls x"], "ls x"],
    ["/usr/bin/bash", ["-o", "pipefail", "-c", "ls x"], "ls x"],
    ["dash", ["-e", "-c", "ls x"], "ls x"],
    ["zsh", ["-c", "--", "ls x"], "ls x"],
    ["bash", ["--", "ls x"], undefined],
    ["bash", ["script.sh", "-c"], undefined],
    ["sh", ["-e", "script.sh"], undefined],
    ["cmd.exe", ["/d", "/s", "/c", "dir x"], "dir x"],
    ["C:\\Windows\\System32\\CMD.EXE", ["/C", "dir", "x"], "dir x"],
    ["ls", ["-c", "x"], undefined],
  ];

  for (const [file, args, script] of cases) {
    test(`${file} ${args.join(" ")}`, () => {
      assert.equal(shellScriptArgument(file, args), script);
    });
  }
});

describe("argument injection", () => {
  const offsetsOf = (args: string[]) => args.map((_, index) => index * 10);

  test("whole option from input", () => {
    const args = ["clone", "--upload-pack=touch /tmp/x", "repo"];
    const finding = detectArgumentInjection(
      args,
      offsetsOf(args),
      inputs("--upload-pack=touch /tmp/x"),
    );
    assert.equal(finding?.reason, "option-from-input");
    assert.equal(finding?.offset, 10);
  });

  test("short option from input", () => {
    const args = ["-o", "out"];
    assert.equal(
      detectArgumentInjection(args, offsetsOf(args), inputs("-o"))?.reason,
      "option-from-input",
    );
  });

  test("input starting an argument", () => {
    const args = ["--output=/etc/x.txt"];
    const finding = detectArgumentInjection(args, offsetsOf(args), inputs("--output=/etc/x"));
    assert.equal(finding?.reason, "option-from-input");
  });

  test("after end of options", () => {
    const args = ["--", "--output=/etc/x"];
    assert.equal(
      detectArgumentInjection(args, offsetsOf(args), inputs("--output=/etc/x")),
      undefined,
    );
  });

  test("negative number", () => {
    const args = ["--offset", "-5", "-0.25"];
    assert.equal(detectArgumentInjection(args, offsetsOf(args), inputs("-5", "-0.25")), undefined);
  });

  test("app option with user value", () => {
    const args = ["--name=alice"];
    assert.equal(detectArgumentInjection(args, offsetsOf(args), inputs("alice")), undefined);
  });

  test("plain value", () => {
    const args = ["report.pdf"];
    assert.equal(detectArgumentInjection(args, offsetsOf(args), inputs("report.pdf")), undefined);
  });
});

describe("program from input", () => {
  test("whole file", () => {
    assert.equal(detectProgramFromInput("curl", inputs("curl"))?.reason, "program-from-input");
  });

  test("path part", () => {
    const finding = detectProgramFromInput("/opt/tools/../../bin/sh", inputs("../../bin/sh"));
    assert.equal(finding?.reason, "program-from-input");
    assert.equal(finding?.offset, 11);
  });

  test("unrelated input", () => {
    assert.equal(detectProgramFromInput("/usr/bin/convert", inputs("convert", "x")), undefined);
  });
});

describe("shell detector fast path", () => {
  // Measured about 0.22 µs per call with ten absent inputs under tsx on a 2-core machine shared with
  // other jobs. The bound is the agent's 2 µs target and counts CPU time, not wall time.
  test("absent inputs cost under 2 µs", () => {
    const command =
      "convert /srv/uploads/7f3a9c/photo.png -resize 800x600 /srv/cache/7f3a9c/photo-800.jpg";
    const absent = inputs(
      "alice",
      "en-US",
      "Mozilla/5.0 (X11; Linux x86_64)",
      "session=abc123",
      "42",
      "thumbnail",
      "application/json",
      "gzip, deflate",
      "keep-alive",
      "127.0.0.1:3000",
    );
    const calls = 200_000;

    const before = process.cpuUsage();
    for (let call = 0; call < calls; call++) detectShellInjection(command, absent);
    const used = process.cpuUsage(before);

    const microsecondsPerCall = (used.user + used.system) / calls;
    assert.equal(detectShellInjection(command, absent), undefined);
    assert.ok(microsecondsPerCall < 2, `${microsecondsPerCall.toFixed(3)} µs per call`);
  });
});
