// Corpus payloads through command templates that apps write, judged against an oracle that is
// independent of the lexer: a character walk that only tracks the quoting state the payload leaves.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { detectShellInjection } from "../../../src/detectors/shell";
import type { UserInput } from "../../../src/detectors/types";
import { corpusSkipReason, loadCorpus, type CorpusEntry } from "../../helpers/corpus";

type Context = "unquoted" | "single-quoted" | "double-quoted" | "script-in-double-quotes";

interface Template {
  readonly name: string;
  readonly context: Context;
  readonly build: (value: string) => string;
}

/** Single-quotes a value the way escaping functions do, writing each quote as `'\''`. */
function singleQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** Double-quotes a value, escaping the four characters that stay special inside double quotes. */
function doubleQuote(value: string): string {
  return `"${value.replace(/["$`\\]/g, "\\$&")}"`;
}

/** Templates that paste the value as it is, as vulnerable apps do. */
const pastingTemplates: readonly Template[] = [
  { name: "ping argument", context: "unquoted", build: (value) => `ping -c 1 ${value}` },
  {
    name: "file name part",
    context: "unquoted",
    build: (value) => `convert uploads/${value}.png out.jpg`,
  },
  {
    name: "grep pattern",
    context: "single-quoted",
    build: (value) => `grep -F '${value}' /var/log/app.log`,
  },
  {
    name: "git author",
    context: "double-quoted",
    build: (value) => `git log --author="${value}" --oneline`,
  },
  {
    name: "bash -c script",
    context: "script-in-double-quotes",
    build: (value) => `bash -c "nslookup ${value}"`,
  },
];

/** Templates that escape the value before quoting it, as correct apps do. */
const escapingTemplates: readonly Template[] = [
  {
    name: "escaped grep pattern",
    context: "single-quoted",
    build: (value) => `grep -F ${singleQuote(value)} app.log`,
  },
  {
    name: "escaped author",
    context: "double-quoted",
    build: (value) => `git log --author=${doubleQuote(value)}`,
  },
];

const expansionStart = /[A-Za-z_0-9{(@*#?$!-]/;
const unquotedOperators = new Set([
  " ",
  "\t",
  "\n",
  ";",
  "&",
  "|",
  "<",
  ">",
  "(",
  ")",
  "`",
  "*",
  "?",
  "[",
  "{",
]);

/**
 * True when the value, pasted unquoted, adds anything but literal characters to one word. It walks the
 * value once, tracking only whether it is inside quotes that the value itself opened.
 */
function breaksOutUnquoted(value: string): boolean {
  if (value.startsWith("#") || value.startsWith("~")) return true;

  let quote: "'" | '"' | undefined;
  for (let index = 0; index < value.length; index++) {
    const char = value[index] as string;
    const next = value[index + 1] ?? "";
    if (quote === "'") {
      if (char === "'") quote = undefined;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === "`" || (char === "$" && expansionStart.test(next))) return true;
      else if (char === "\\") index++;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === "\\") {
      if (next === "") return true;
      index++;
    } else if (unquotedOperators.has(char) || (char === "$" && expansionStart.test(next))) {
      return true;
    }
  }
  return quote !== undefined;
}

/** True when the value, pasted between single quotes, ends them. */
function breaksOutSingleQuoted(value: string): boolean {
  return value.includes("'");
}

/** True when the value, pasted between double quotes, ends them, expands or escapes the closing quote. */
function breaksOutDoubleQuoted(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const char = value[index] as string;
    const next = value[index + 1] ?? "";
    if (char === '"' || char === "`") return true;
    if (char === "$" && expansionStart.test(next)) return true;
    if (char === "\\" && next === "") return true;
    if (char === "\\" && '$`"\\\n'.includes(next)) index++;
  }
  return false;
}

const oracles: Record<Context, (value: string) => boolean> = {
  unquoted: breaksOutUnquoted,
  "single-quoted": breaksOutSingleQuoted,
  "double-quoted": breaksOutDoubleQuoted,
  // Unquoted in a script that the line passes to a second shell inside double quotes.
  "script-in-double-quotes": (value) => breaksOutDoubleQuoted(value) || breaksOutUnquoted(value),
};

function asInput(value: string): UserInput[] {
  return [{ source: "query", path: "query.q", value }];
}

function flagged(template: Template, value: string): boolean {
  return detectShellInjection(template.build(value), asInput(value)) !== undefined;
}

function payloads(entries: readonly CorpusEntry[]): string[] {
  return entries
    .map((entry) => entry.payload)
    .filter((value): value is string => typeof value === "string");
}

const skip = corpusSkipReason();

describe("cmdi corpus through pasting templates", { skip }, () => {
  let attacks: string[] = [];
  before(() => {
    attacks = payloads(loadCorpus("cmdi"));
  });

  for (const template of pastingTemplates) {
    test(`${template.name}: breakouts flagged`, () => {
      const breakouts = attacks.filter((value) => oracles[template.context](value));
      const missed = breakouts.filter((value) => !flagged(template, value));
      console.log(
        `# ${template.name}: ${breakouts.length - missed.length}/${breakouts.length} breakouts flagged`,
      );
      assert.ok(breakouts.length > 0);
      assert.deepEqual(missed, []);
    });

    test(`${template.name}: contained payloads pass`, () => {
      const contained = attacks.filter((value) => !oracles[template.context](value));
      const wronglyFlagged = contained.filter((value) => flagged(template, value));
      console.log(
        `# ${template.name}: ${wronglyFlagged.length}/${contained.length} contained payloads flagged`,
      );
      assert.deepEqual(wronglyFlagged, []);
    });
  }

  test("context payloads break out of their context", () => {
    const contexts: Record<string, Template> = {
      "shell-argument": pastingTemplates[0] as Template,
      "shell-single-quoted": pastingTemplates[2] as Template,
      "shell-double-quoted": pastingTemplates[3] as Template,
    };
    const templateOf = (entry: CorpusEntry) => contexts[entry.context ?? ""] as Template;
    const labelled = loadCorpus("cmdi").filter((entry) => (entry.context ?? "") in contexts);
    // Context labels are a guess from the payload's first characters; a few probes stay inside.
    const entries = labelled.filter((entry) =>
      oracles[templateOf(entry).context](entry.payload ?? ""),
    );
    const missed = entries.filter((entry) => !flagged(templateOf(entry), entry.payload ?? ""));
    const inside = labelled.length - entries.length;
    const flaggedCount = entries.length - missed.length;
    console.log(
      `# labelled contexts: ${flaggedCount}/${entries.length} flagged, ${inside} stay inside`,
    );
    assert.ok(entries.length > 400);
    assert.deepEqual(
      missed.map((entry) => entry.id),
      [],
    );
  });

  test("command payloads in command position", () => {
    const template: Template = {
      name: "command",
      context: "unquoted",
      build: (value) => `${value} 2>&1`,
    };
    const commands = payloads(
      loadCorpus("cmdi").filter((entry) => entry.context === "shell-command"),
    );
    const missed = commands.filter(
      (value) => value.trim().length >= 2 && !flagged(template, value),
    );
    console.log(
      `# command position: ${commands.length - missed.length}/${commands.length} flagged`,
    );
    assert.deepEqual(missed, []);
  });
});

describe("benign corpus", { skip }, () => {
  let benign: string[] = [];
  before(() => {
    benign = payloads(loadCorpus("benign"));
  });

  for (const template of escapingTemplates) {
    test(`${template.name}: none flagged`, () => {
      const wronglyFlagged = benign.filter((value) => flagged(template, value));
      console.log(`# ${template.name}: ${wronglyFlagged.length}/${benign.length} benign flagged`);
      assert.deepEqual(wronglyFlagged, []);
    });
  }

  for (const template of pastingTemplates.filter((item) => item.context !== "unquoted")) {
    test(`${template.name}: none flagged that stays inside`, () => {
      const inside = benign.filter((value) => !oracles[template.context](value));
      const wronglyFlagged = inside.filter((value) => flagged(template, value));
      console.log(`# ${template.name}: ${wronglyFlagged.length}/${inside.length} benign flagged`);
      assert.ok(inside.length > 300);
      assert.deepEqual(wronglyFlagged, []);
    });
  }

  test("unquoted plain words pass", () => {
    const template = pastingTemplates[0] as Template;
    const plain = benign.filter((value) => !breaksOutUnquoted(value) && value.length >= 1);
    const wronglyFlagged = plain.filter((value) => flagged(template, value));
    console.log(`# unquoted plain benign: ${wronglyFlagged.length}/${plain.length} flagged`);
    assert.deepEqual(wronglyFlagged, []);
  });
});
