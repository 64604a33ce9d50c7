import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectXss, markupInputs } from "../../../src/detectors/html";
import type { UserInput } from "../../../src/detectors/types";
import { corpusSkipReason, loadCorpus } from "../../helpers/corpus";
import { changesStructure, contexts, escapers, templates, type HtmlContext } from "./contexts";

function query(value: string): UserInput[] {
  return [{ source: "query", path: "query.q", value }];
}

function reasonFor(page: string, value: string): string | undefined {
  return detectXss(page, query(value))?.reason;
}

describe("xss detector", () => {
  // prettier-ignore
  const attacks: [string, HtmlContext, string, string][] = [
    ["bold tag", "text", "<b>hi</b>", "tag-injection"],
    ["script tag", "text", "<script>alert(1)</script>", "tag-injection"],
    ["image handler", "text", "<img src=x onerror=alert(1)>", "tag-injection"],
    ["comment opener", "text", "<!-- hide", "comment-injection"],
    ["double quote handler", "double-quoted-attribute", 'x" onfocus="alert(1)" autofocus="', "event-handler"],
    ["double quote new tag", "double-quoted-attribute", '"><script>alert(1)</script>', "tag-injection"],
    ["double quote style", "double-quoted-attribute", 'x" style="color:red', "attribute-breakout"],
    ["single quote handler", "single-quoted-attribute", "x' onmouseover='alert(1)", "event-handler"],
    ["unquoted handler", "unquoted-attribute", "x onmouseover=alert(1)", "event-handler"],
    ["unquoted new attribute", "unquoted-attribute", "x style=color:red", "attribute-injection"],
    ["javascript url", "url-attribute", "javascript:alert(1)", "script-url"],
    ["vbscript url", "url-attribute", "VBScript:msgbox(1)", "script-url"],
    ["data html url", "url-attribute", "data:text/html;base64,PHNjcmlwdD4=", "script-url"],
    ["obfuscated scheme", "url-attribute", " jav&#x09;ascript&colon;alert(1)", "script-url"],
    ["control character scheme", "url-attribute", "\u0001javascript:alert(1)", "script-url"],
    ["script end", "script-string", "</script><script>alert(1)//", "script-breakout"],
    ["script end only", "script-string", "x</script>", "script-breakout"],
    ["comment end", "comment", "--><img src=x onerror=alert(1)>", "tag-injection"],
    ["comment end text", "comment", "x --> visible", "comment-breakout"],
    ["comment bang end", "comment", "x --!> visible", "comment-breakout"],
  ];
  for (const [name, context, value, reason] of attacks) {
    test(`${name} flagged`, () => {
      assert.equal(reasonFor(templates[context](value), value), reason);
    });
  }

  // prettier-ignore
  const benign: [string, HtmlContext, string][] = [
    ["less-than in math", "text", "a < b and c > d"],
    ["heart", "text", "I <3 NY"],
    ["apostrophe in text", "text", "O'Brien's cafe"],
    ["apostrophe in double quotes", "double-quoted-attribute", "O'Brien"],
    ["equals in text", "text", "x = y + 1"],
    ["url with query", "url-attribute", "https://example.com/a?b=c&d=e"],
    ["relative url", "url-attribute", "/profile?tab=1"],
    ["javascript word in query", "url-attribute", "/search?q=javascript:void"],
    ["quote in script string", "script-string", "say \\\"hi\\\""],
    ["words in unquoted value", "unquoted-attribute", "red green blue"],
    ["colon in comment", "comment", "note: a -> b"],
  ];
  for (const [name, context, value] of benign) {
    test(`${name} passes`, () => {
      assert.equal(reasonFor(templates[context](value), value), undefined);
    });
  }

  test("escaped tag passes", () => {
    const value = "<script>alert(1)</script>";
    assert.equal(reasonFor(templates.text(escapers.text(value)), value), undefined);
  });

  test("input matching own markup passes", () => {
    // The app escaped `<p>`; the raw `<p>` in the page is the template's own paragraph.
    const value = "<p>";
    assert.equal(reasonFor(templates.text(escapers.text(value)), value), undefined);
  });

  test("input matching own end tag passes", () => {
    const value = "</script>";
    assert.equal(reasonFor(templates["script-string"]("x"), value), undefined);
  });

  test("two-character input ignored", () => {
    assert.equal(reasonFor("<p><b></p>", "<b"), undefined);
  });

  test("finding names the input and offset", () => {
    const value = "<i>x</i>";
    const page = templates.text(value);
    const finding = detectXss(page, [
      { source: "headers", path: "headers.accept", value: "text/html" },
      { source: "body", path: "body.comment", value },
    ]);
    assert.equal(finding?.input?.path, "body.comment");
    assert.equal(finding?.offset, page.indexOf(value));
  });

  test("input absent from page passes", () => {
    assert.equal(reasonFor(templates.text("hello"), "<script>"), undefined);
  });
});

function payloadsOf(name: string): string[] {
  return loadCorpus(name)
    .map((entry) => entry.payload)
    .filter((payload): payload is string => typeof payload === "string");
}

describe("xss corpus", { skip: corpusSkipReason() }, () => {
  const payloads = payloadsOf("xss");

  for (const context of contexts) {
    test(`${context} agrees with oracle`, () => {
      let breaking = 0;
      let caught = 0;
      let extra = 0;
      for (const payload of payloads) {
        const flagged = reasonFor(templates[context](payload), payload) !== undefined;
        if (changesStructure(context, payload)) {
          breaking++;
          if (flagged) caught++;
        } else if (flagged) {
          extra++;
        }
      }
      console.log(
        `# xss ${context}: ${caught}/${breaking} structure-changing payloads flagged, ` +
          `${extra} flagged that the oracle calls unchanged, of ${payloads.length}`,
      );
      // Measured on the corpus as shipped: every context catches at least 97% of what the oracle
      // calls a structure change.
      assert.ok(breaking > 0, `${context}: no payload changes the structure`);
      assert.ok(caught / breaking >= 0.95, `${context}: ${caught}/${breaking} flagged`);
      assert.ok(extra / payloads.length <= 0.03, `${context}: ${extra} extra findings`);
    });

    test(`${context} escaped never flagged`, () => {
      const flagged = payloads.filter((payload) => {
        const page = templates[context](escapers[context](payload));
        return reasonFor(page, payload) !== undefined;
      });
      assert.deepEqual(flagged.slice(0, 5), []);
    });
  }

  const benign = payloadsOf("benign");
  for (const context of ["text", "double-quoted-attribute", "single-quoted-attribute"] as const) {
    test(`benign in ${context} flagged only when it adds markup`, () => {
      let addsMarkup = 0;
      const flaggedWithoutChange: string[] = [];
      for (const payload of benign) {
        const flagged = reasonFor(templates[context](payload), payload) !== undefined;
        const changes = changesStructure(context, payload);
        if (flagged && changes) addsMarkup++;
        if (flagged && !changes) flaggedWithoutChange.push(payload);
      }
      console.log(
        `# benign ${context}: ${addsMarkup}/${benign.length} flagged, all of them adding markup when reflected raw`,
      );
      assert.deepEqual(flaggedWithoutChange, []);
    });

    test(`benign escaped in ${context} never flagged`, () => {
      const flagged = benign.filter(
        (payload) =>
          reasonFor(templates[context](escapers[context](payload)), payload) !== undefined,
      );
      assert.deepEqual(flagged, []);
    });
  }
});

describe("inputs that can add markup", () => {
  test("plain words and host headers dropped", () => {
    const inputs: UserInput[] = [
      { source: "query", path: "query.q", value: "cable" },
      { source: "headers", path: "headers.host", value: "127.0.0.1:3000" },
      { source: "query", path: "query.tag", value: "<b>" },
      { source: "query", path: "query.style", value: "x style=color:red" },
      { source: "query", path: "query.url", value: "javascript:alert(1)" },
      { source: "query", path: "query.entity", value: "java&#115;cript" },
    ];

    const markupPaths = markupInputs(inputs).map((input) => input.path);
    assert.deepEqual(markupPaths, ["query.tag", "query.style", "query.url", "query.entity"]);
  });

  test("no markup input gives an empty list", () => {
    const inputs: UserInput[] = [{ source: "path", path: "path.0", value: "search" }];
    assert.equal(markupInputs(inputs).length, 0);
  });

  test("reflected tag input kept", () => {
    const page = "<p>Results for <b>x</b></p>";
    const inputs = query("<b>x</b>");
    assert.equal(detectXss(page, markupInputs(inputs))?.reason, "tag-injection");
  });
});
