// Every lexer and detector judges 1 MiB of hostile text within a stated budget, and its time grows
// about linearly from 256 KiB to 1 MiB (see linear-time.ts for both bounds). Each piece below
// stresses one scanner state: an unclosed opener, an escape, a nesting level, or an input that
// occurs at every offset of the operation.
import { describe, test } from "node:test";

import { detectCodeInjection, tokenize } from "../../src/detectors/code";
import {
  detectJavascriptYamlTag,
  detectSerializedFunction,
  type YamlTag,
} from "../../src/detectors/deserialization";
import { detectHeaderInjection, detectOpenRedirect } from "../../src/detectors/headers";
import { detectXss, tokenizeHtml } from "../../src/detectors/html";
import { detectNosqlInjection } from "../../src/detectors/nosql/detect";
import { tokenizeJavaScript } from "../../src/detectors/nosql/js-tokens";
import { findServerCodeInjection } from "../../src/detectors/nosql/server-code";
import { findUserOperators } from "../../src/detectors/nosql/user-operators";
import { detectPathTraversal } from "../../src/detectors/path";
import {
  detectPrototypePollution,
  findPollutingQueryKey,
} from "../../src/detectors/prototype-pollution/detect";
import {
  detectArgumentInjection,
  detectProgramFromInput,
  detectShellInjection,
  tokenizeShell,
} from "../../src/detectors/shell";
import { detectSqlInjection, sqlDialects, tokenizeSql } from "../../src/detectors/sql";
import {
  AllowList,
  findHostChooser,
  judgeConnection,
  parseIPv6,
  targetFromUrl,
} from "../../src/detectors/ssrf";
import type { UserInput } from "../../src/detectors/types";
import { assertLinear, repeatTo } from "./linear-time";

/**
 * Inputs that occur in the text: its start, its end, its second half and three copies of the piece.
 * On a repeated piece each occurs at nearly every period, so a search that restarts one character
 * after each match, or compares the whole input per match, shows up as quadratic time.
 */
function inputsFor(text: string, piece: string): UserInput[] {
  return [
    { source: "query", path: "query.a", value: text.slice(0, 64) },
    { source: "body", path: "body.b", value: text.slice(-1024) },
    { source: "body", path: "body.half", value: text.slice(text.length / 2) },
    { source: "headers", path: "headers.x-c", value: piece.repeat(3) },
  ];
}

/** Registers one linear-time test per piece, each judging `piece` repeated to the sample size. */
function linearFor(
  label: string,
  pieces: readonly string[],
  judge: (text: string, inputs: UserInput[]) => unknown,
): void {
  describe(label, () => {
    for (const piece of pieces) {
      test(`repeated ${JSON.stringify(piece)}`, () => {
        assertLinear(`${label} ${JSON.stringify(piece)}`, (size) => {
          const text = repeatTo(piece, size);
          const inputs = inputsFor(text, piece);
          return () => judge(text, inputs);
        });
      });
    }
  });
}

// prettier-ignore
const sqlPieces = ["'", "\\'", "/*", "-- x\n", "$a$", "?"];
for (const dialect of sqlDialects) {
  linearFor(`SQL lexer ${dialect}`, sqlPieces, (text) => tokenizeSql(text, dialect));
  linearFor(`SQL detector ${dialect}`, sqlPieces, (text, inputs) =>
    detectSqlInjection(text, dialect, inputs),
  );
}

// prettier-ignore
const shellPieces = ["'", '"', "\\", "$(", "`", "<<EOF\n", "a;b|c&&d ", "a b "];
linearFor("shell lexer", shellPieces, (text) => tokenizeShell(text));
linearFor("shell detector", shellPieces, (text, inputs) => detectShellInjection(text, inputs));
linearFor("argument detector", ["-", "--x=", "a"], (text, inputs) => {
  const args = text.match(/.{1,64}/gs) ?? [];
  const offsets = args.map((_, index) => index * 64);
  return detectArgumentInjection(args, offsets, inputs);
});
linearFor("program detector", ["/bin/", "sh"], (text, inputs) =>
  detectProgramFromInput(text, inputs),
);

// prettier-ignore
const pathPieces = ["../", "%2e%2e%2f", "....//", "a/../"];
linearFor("path detector", pathPieces, (text, inputs) =>
  detectPathTraversal(`/srv/app/${text}`, inputs),
);

// prettier-ignore
const codePieces = ["'", "\\", "`${", "=/[", "/*", "a'b\"c`d${e}/f/g//h\n/*i*/"];
linearFor("JavaScript tokenizer", codePieces, (text) => tokenize(text));
linearFor("code detector", codePieces, (text, inputs) => detectCodeInjection(text, inputs));
linearFor("$where tokenizer", codePieces, (text) => tokenizeJavaScript(text));
linearFor("$where detector", codePieces, (text, inputs) => findServerCodeInjection(text, inputs));

// prettier-ignore
const htmlPieces = ["<", "<a ", '<a b="', "<!--", "<script>", "<textarea>", "a=x "];
linearFor("HTML tokenizer", htmlPieces, (text) => tokenizeHtml(text));
linearFor("XSS detector", htmlPieces, (text, inputs) => detectXss(text, inputs));

linearFor("header injection detector", ["\r\n", "\n", "a: b\r\n", "%0d%0a"], (text, inputs) =>
  detectHeaderInjection("x-note", text, inputs),
);
const redirectPolicy = { requestHost: "app.example", allowedHosts: ["*.partner.example"] };
linearFor("open redirect detector", ["/", "\\", "//", "%2f", "\t", "@"], (text, inputs) =>
  detectOpenRedirect(`//evil.example/${text}`, redirectPolicy, inputs),
);

const allowList = new AllowList(["allowed.test"]);
linearFor("SSRF judge", ["1", ".", "0x7f.", "[", ":", "%", "@"], (text, inputs) => {
  const origin = targetFromUrl(`http://127.0.0.1/${text}`);
  if (origin === undefined) return undefined;
  findHostChooser(origin, inputs);
  parseIPv6(text);
  return judgeConnection(
    { origin, hostname: "127.0.0.1", redirected: false, addresses: ["127.0.0.1"] },
    inputs,
    allowList,
  );
});

const marker = "_$$ND_FUNC$$_";
linearFor(
  "serialized function detector",
  ['{"a":"', marker, "\\u005f", "[", '"x",'],
  (text, inputs) => detectSerializedFunction(text, inputs),
);
linearFor("YAML tag detector", ["!!js/function ", "!", "a: b\n"], (text, inputs) => {
  const tags: YamlTag[] = [];
  for (let offset = text.indexOf("!"); offset !== -1 && tags.length < 10_000;) {
    tags.push({ name: "tag:yaml.org,2002:js/function", start: offset, end: offset + 2 });
    offset = text.indexOf("!", offset + 1);
  }
  return detectJavascriptYamlTag(
    text,
    inputs,
    () => tags,
    () => true,
  );
});

describe("structured detectors", () => {
  /** Builds an object with `count` keys, every hundredth of them an operator object. */
  function wideObject(count: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    for (let index = 0; index < count; index++) {
      object[`k${index}`] = index % 100 === 0 ? { $ne: `v${index}` } : `v${index}`;
    }
    return object;
  }

  test("NoSQL operators in a wide body", () => {
    assertLinear("NoSQL", (size) => {
      const body = wideObject(size / 16);
      const parts = [{ source: "body" as const, path: "body", value: body }];
      return () => {
        const operators = findUserOperators(parts);
        detectNosqlInjection([{ role: "filter", value: body }], operators, []);
      };
    });
  });

  test("prototype pollution in a wide body", () => {
    assertLinear("prototype pollution", (size) => {
      const parts = [{ source: "body" as const, path: "body", value: wideObject(size / 16) }];
      const keyPaths = Array.from({ length: size / 16 }, (_, index) => [`a${index}`, "prototype"]);
      return () => {
        detectPrototypePollution(parts);
        findPollutingQueryKey(keyPaths);
      };
    });
  });
});
