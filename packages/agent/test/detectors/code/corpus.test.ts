// Runs the code corpus and the benign corpus through application templates and compares the
// detector with an acorn-based oracle (oracle.ts). The templates are the code that the Function
// and vm sinks judge: `eval("(" + input + ")")`, `new Function("return " + input)`,
// `vm.runInNewContext("x = '" + input + "'")` and a calculator, `eval("2 + " + input)`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectCodeInjection } from "../../../src/detectors/code";
import type { UserInput } from "../../../src/detectors/types";
import { corpusSkipReason, loadCorpus, type CorpusEntry } from "../../helpers/corpus";
import { judgeWithOracle } from "./oracle";

const skipReason = corpusSkipReason();

interface Template {
  readonly name: string;
  readonly before: string;
  readonly after: string;
  /** A value that the application expects here, for the oracle's reference tree. */
  readonly neutral: string;
}

// The Function template is judged as the source text that V8 compiles for `new Function(body)`.
const templates: readonly Template[] = [
  { name: "eval parentheses", before: "(", after: ")", neutral: "1" },
  {
    name: "Function return",
    before: "(function anonymous(\n) {\nreturn ",
    after: "\n})",
    neutral: "1",
  },
  { name: "vm string", before: "x = '", after: "'", neutral: "abc" },
  { name: "calculator", before: "2 + ", after: "", neutral: "1" },
];

function asInput(value: string): UserInput[] {
  return [{ source: "query", path: "query.q", value }];
}

function payloads(entries: readonly CorpusEntry[]): string[] {
  return entries.flatMap((entry) => (typeof entry.payload === "string" ? [entry.payload] : []));
}

interface Tally {
  flagged: number;
  total: number;
  unparseable: number;
  unparseableFlagged: number;
  mismatches: string[];
}

function compare(template: Template, values: readonly string[]): Tally {
  const tally: Tally = {
    flagged: 0,
    total: 0,
    unparseable: 0,
    unparseableFlagged: 0,
    mismatches: [],
  };
  for (const value of values) {
    if (value.trim().length < 2) continue;

    const code = template.before + value + template.after;
    const flagged = detectCodeInjection(code, asInput(value)) !== undefined;
    const verdict = judgeWithOracle(template.before, value, template.after, template.neutral);
    tally.total++;
    if (flagged) tally.flagged++;

    if (verdict === "unparseable") {
      tally.unparseable++;
      if (flagged) tally.unparseableFlagged++;
      continue;
    }
    if (flagged !== (verdict === "breaks-out")) {
      tally.mismatches.push(
        `${verdict}, detector ${flagged ? "flagged" : "passed"}: ${JSON.stringify(value)}`,
      );
    }
  }
  return tally;
}

function report(label: string, tally: Tally): void {
  console.log(
    `# ${label}: flagged ${tally.flagged}/${tally.total}; unparseable ${tally.unparseable} (flagged ${tally.unparseableFlagged})`,
  );
}

describe("code corpus through templates", { skip: skipReason }, () => {
  const attacks = skipReason === undefined ? payloads(loadCorpus("code")) : [];

  for (const template of templates) {
    test(`${template.name} agrees with oracle`, () => {
      const tally = compare(template, attacks);
      report(`attacks, ${template.name}`, tally);
      assert.deepEqual(tally.mismatches, []);
    });
  }

  test("js-eval payloads flagged in parentheses", () => {
    const jsEval = (skipReason === undefined ? loadCorpus("code") : []).filter(
      (entry) => entry.context === "js-eval" && !(entry.tags ?? []).includes("fragment"),
    );
    const missed = payloads(jsEval).filter(
      (value) => detectCodeInjection(`(${value})`, asInput(value)) === undefined,
    );
    console.log(
      `# js-eval payloads without fragment tag: ${jsEval.length}, missed ${missed.length}`,
    );
    assert.deepEqual(missed, []);
  });
});

describe("benign corpus", { skip: skipReason }, () => {
  const benign = skipReason === undefined ? loadCorpus("benign") : [];
  const values = payloads(benign);

  test("inside escaped string literals", () => {
    const flagged = values.filter((value) => {
      const doubleQuoted = `return ${JSON.stringify(value)};`;
      const singleQuoted = `x = '${value.replace(/[\\'\n\r\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}'`;
      return (
        detectCodeInjection(doubleQuoted, asInput(value)) !== undefined ||
        detectCodeInjection(singleQuoted, asInput(value)) !== undefined
      );
    });
    console.log(`# benign in escaped strings: flagged ${flagged.length}/${values.length}`);
    assert.deepEqual(flagged, []);
  });

  test("numbers in calculator", () => {
    const numbers = values.filter((value) => value.trim() !== "" && Number.isFinite(Number(value)));
    const flagged = numbers.filter(
      (value) => detectCodeInjection(`2 + ${value}`, asInput(value)) !== undefined,
    );
    console.log(`# benign numbers in calculator: flagged ${flagged.length}/${numbers.length}`);
    assert.ok(numbers.length > 0);
    assert.deepEqual(flagged, []);
  });

  test("expressions in calculator agree with oracle", () => {
    const expressions = payloads(benign.filter((entry) => entry.context === "js-eval-expression"));
    const tally = compare(templates[3] as Template, expressions);
    report("benign js-eval-expression, calculator", tally);
    assert.deepEqual(tally.mismatches, []);
  });

  test("all benign agree with oracle", () => {
    for (const template of templates) {
      const tally = compare(template, values);
      report(`benign, ${template.name}`, tally);
      assert.deepEqual(tally.mismatches, []);
    }
  });
});
