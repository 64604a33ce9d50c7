// Property tests for the lexers and detectors that test/detectors/*/properties.test.ts does not
// cover: shell, HTML, headers and redirects, deserialization, prototype pollution. Each never
// throws on arbitrary text, and any finding names a passed input that occurs in the operation.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import fc from "fast-check";

import {
  detectJavascriptYamlTag,
  detectSerializedFunction,
  type YamlTag,
} from "../../src/detectors/deserialization";
import { detectHeaderInjection, detectOpenRedirect } from "../../src/detectors/headers";
import { detectXss, tokenizeHtml } from "../../src/detectors/html";
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
import type { Finding, UserInput } from "../../src/detectors/types";

// Every UTF-16 code unit, including lone surrogates, which `unit: "binary"` never produces.
const anyCodeUnits = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 80 })
  .map((codes) => String.fromCharCode(...codes));

function textOf(pieces: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: "binary", maxLength: 80 }),
    anyCodeUnits,
    fc.string({ unit: fc.constantFrom(...pieces), maxLength: 60 }),
  );
}

// prettier-ignore
const shellPieces = [
  "'", '"', "\\", "$", "$(", ")", "`", "${", "}", "$((", "))", "<<", "<<-", "EOF", "\n", ";", "|", "&", "&&",
  "||", ">", "<", "(", "{", "#", " ", "\t", "$'", "\\x41", "*", "?", "[", "]", "~", "=", "a", "sh", "-c", "é",
];
// prettier-ignore
const htmlPieces = [
  "<", ">", "/", "=", '"', "'", "`", " ", "\t", "\n", "<!--", "-->", "--!>", "<!", "<?", "<script>", "</script>",
  "<textarea>", "</textarea>", "<style>", "<a", "href", "onerror", "javascript:", "&#", "&#x", ";", "a", "é",
];
// prettier-ignore
const urlPieces = ["/", "\\", "//", ":", "@", "?", "#", "%", "%2f", "\t", "\n", " ", ".", "evil.example", "http", "https:", "a", "é"];
// prettier-ignore
const jsonPieces = ['{', '}', '[', ']', '"', ":", ",", "\\", "\\u005f", "_$$ND_FUNC$$_", "function(){}", "()", "1", "a", " "];
// prettier-ignore
const yamlPieces = ["!", "!!", "!!js/function", "!<tag:yaml.org,2002:js/function>", ":", "-", " ", "\n", "'", '"', "a", "#"];

/** Inputs cut from the operation, so that detectors judge real occurrences, plus free text. */
function inputsFrom(
  operation: string,
  cuts: readonly [number, number][],
  extra: readonly string[],
) {
  const values = cuts.map(([from, length]) =>
    operation.slice(from % (operation.length + 1)).slice(0, length % 40),
  );
  return [...values, ...extra].map((value, index): UserInput => ({
    source: "query",
    path: `query.v${index}`,
    value,
  }));
}

/** Checks that a finding names one of the passed inputs and, when `operation` is given, where it occurs. */
function assertSound(finding: Finding | undefined, inputs: UserInput[], operation?: string): void {
  if (finding === undefined) return;
  assert.ok(finding.reason.length > 0);
  if (finding.input === undefined) return;
  assert.ok(inputs.includes(finding.input), "finding names a passed input");
  if (operation !== undefined) assert.ok(operation.includes(finding.input.value));
}

function scenario(pieces: readonly string[]) {
  return fc.record({
    operation: textOf(pieces),
    cuts: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
    extra: fc.array(textOf(pieces), { maxLength: 3 }),
  });
}

describe("shell", () => {
  test("lexer tokens in order and in range", () => {
    fc.assert(
      fc.property(textOf(shellPieces), (command) => {
        const { tokens } = tokenizeShell(command);
        let previousStart = -1;
        for (const token of tokens) {
          assert.ok(token.start >= previousStart, "tokens in order");
          assert.ok(token.start <= token.end, "token start before its end");
          assert.ok(token.end <= command.length, "token end within the command");
          previousStart = token.start;
        }
      }),
      { numRuns: 3_000 },
    );
  });

  test("detectors never throw", () => {
    fc.assert(
      fc.property(scenario(shellPieces), ({ operation, cuts, extra }) => {
        const inputs = inputsFrom(operation, cuts, extra);
        assertSound(detectShellInjection(operation, inputs), inputs, operation);

        const args = operation.split(" ");
        const offsets = args.map((_, index) => index);
        assertSound(detectArgumentInjection(args, offsets, inputs), inputs);
        assertSound(detectProgramFromInput(operation, inputs), inputs);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe("HTML", () => {
  test("tokenizer never throws and keeps order", () => {
    fc.assert(
      fc.property(textOf(htmlPieces), (html) => {
        const { tags, comments } = tokenizeHtml(html);
        for (let index = 1; index < tags.length; index++) {
          assert.ok((tags[index - 1]?.start ?? 0) < (tags[index]?.start ?? 0), "tags in order");
        }
        for (const tag of tags) assert.ok(tag.start < tag.end && tag.end <= html.length);
        for (const comment of comments) assert.ok(comment.start < html.length);
      }),
      { numRuns: 3_000 },
    );
  });

  test("XSS detector never throws", () => {
    fc.assert(
      fc.property(scenario(htmlPieces), ({ operation, cuts, extra }) => {
        const inputs = inputsFrom(operation, cuts, extra);
        const finding = detectXss(operation, inputs);
        assertSound(finding, inputs, operation);
        if (finding?.input !== undefined)
          assert.equal(operation.startsWith(finding.input.value, finding.offset), true);
      }),
      { numRuns: 3_000 },
    );
  });

  test("escaped reflection never flagged", () => {
    const escape = (value: string) =>
      value
        .replaceAll("&", "&amp;")
        .replaceAll("<", "&lt;")
        .replaceAll(">", "&gt;")
        .replaceAll('"', "&quot;")
        .replaceAll("'", "&#39;");
    fc.assert(
      fc.property(textOf(htmlPieces), (value) => {
        const page = `<p title="${escape(value)}">${escape(value)}</p>`;
        const inputs: UserInput[] = [{ source: "query", path: "query.q", value }];
        assert.equal(detectXss(page, inputs), undefined, page);
      }),
      { numRuns: 3_000 },
    );
  });
});

describe("headers", () => {
  const policy = { requestHost: "app.example", allowedHosts: ["*.partner.example"] };

  test("header and redirect detectors never throw", () => {
    fc.assert(
      fc.property(scenario(urlPieces), ({ operation, cuts, extra }) => {
        const inputs = inputsFrom(operation, cuts, extra);
        assertSound(detectHeaderInjection("x-note", operation, inputs), inputs);
        assertSound(detectHeaderInjection(operation, "value", inputs), inputs);
        // An input that names the target host counts even when an encoder rewrote it, so the
        // redirect finding need not occur verbatim in the Location value.
        assertSound(detectOpenRedirect(operation, policy, inputs), inputs);
        assertSound(
          detectOpenRedirect(
            operation,
            { requestHost: operation, allowedHosts: [operation] },
            inputs,
          ),
          inputs,
        );
      }),
      { numRuns: 3_000 },
    );
  });

  test("path-only redirect never flagged", () => {
    fc.assert(
      fc.property(textOf(urlPieces), (value) => {
        // encodeURIComponent rejects lone surrogates, which no client can send in a URL.
        fc.pre(
          !/[\ud800-\udfff]/.test(value) ||
            /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/.test(value),
        );
        const location = `/search?q=${encodeURIComponent(value)}`;
        const inputs: UserInput[] = [{ source: "query", path: "query.q", value }];
        assert.equal(detectOpenRedirect(location, policy, inputs), undefined, location);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("deserialization", () => {
  test("serialized function detector never throws", () => {
    fc.assert(
      fc.property(scenario(jsonPieces), ({ operation, cuts, extra }) => {
        const inputs = inputsFrom(operation, cuts, extra);
        assertSound(detectSerializedFunction(operation, inputs), inputs);
        let parsed: unknown;
        try {
          parsed = JSON.parse(operation);
        } catch {
          parsed = { text: operation };
        }
        assertSound(detectSerializedFunction(parsed, inputs), inputs);
      }),
      { numRuns: 3_000 },
    );
  });

  test("YAML tag detector never throws", () => {
    fc.assert(
      fc.property(scenario(yamlPieces), fc.boolean(), ({ operation, cuts, extra }, constructs) => {
        const inputs = inputsFrom(operation, cuts, extra);
        const tags: YamlTag[] = [];
        for (let offset = operation.indexOf("!"); offset !== -1;) {
          tags.push({ name: "tag:yaml.org,2002:js/function", start: offset, end: offset + 1 });
          offset = operation.indexOf("!", offset + 1);
        }
        assertSound(
          detectJavascriptYamlTag(
            operation,
            inputs,
            () => tags,
            () => constructs,
          ),
          inputs,
        );
      }),
      { numRuns: 3_000 },
    );
  });
});

describe("prototype pollution", () => {
  test("never throws on arbitrary parts", () => {
    const keyPart = fc.constantFrom("__proto__", "constructor", "prototype", "a", "0", "");
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withObjectString: true }),
        fc.array(fc.array(fc.oneof(keyPart, fc.string()), { maxLength: 5 }), { maxLength: 5 }),
        (value, keyPaths) => {
          detectPrototypePollution([{ source: "body", path: "body", value }]);
          findPollutingQueryKey(keyPaths);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  test("__proto__ key always found", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 4 }), (path) => {
        const body: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        let target = body;
        for (const key of path) {
          const child = Object.create(null) as Record<string, unknown>;
          target[key] = child;
          target = child;
        }
        target["__proto__"] = { polluted: true };
        assert.ok(detectPrototypePollution([{ source: "body", path: "body", value: body }]));
      }),
      { numRuns: 1_000 },
    );
  });
});
