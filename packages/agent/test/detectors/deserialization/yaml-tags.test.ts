import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parseEvents } from "js-yaml";

import { detectJavascriptYamlTag, type YamlTag } from "../../../src/detectors/deserialization";
import type { UserInput } from "../../../src/detectors/types";

function input(value: string): UserInput {
  return { source: "query", path: "query.doc", value };
}

/** Reads the tags of a document with js-yaml's own parser; only `!!` shorthand tags are resolved here. */
function tagsOf(document: string): YamlTag[] {
  return parseEvents(document, {}).flatMap((event) => {
    const { tagStart = -1, tagEnd = -1 } = event as { tagStart?: number; tagEnd?: number };
    if (tagStart < 0) return [];
    const text = document.slice(tagStart, tagEnd);
    return [{ name: text.replace(/^!!/, "tag:yaml.org,2002:"), start: tagStart, end: tagEnd }];
  });
}

const functionTag = "tag:yaml.org,2002:js/function";
const constructsFunctions = (name: string) => name === functionTag;

describe("YAML JavaScript tags", () => {
  const document = "run: !!js/function 'function () {}'\n";

  test("tag from input flagged", () => {
    const finding = detectJavascriptYamlTag(
      document,
      [input(document)],
      () => tagsOf(document),
      constructsFunctions,
    );
    assert.equal(finding?.reason, "javascript-yaml-tag");
    assert.equal(finding?.offset, document.indexOf("!!"));
  });

  test("tag not constructed by schema", () => {
    const finding = detectJavascriptYamlTag(
      document,
      [input(document)],
      () => tagsOf(document),
      () => false,
    );
    assert.equal(finding, undefined);
  });

  test("application tag around input value", () => {
    const value = "function () { return 'x' }";
    const built = `run: !!js/function "${value}"`;
    const finding = detectJavascriptYamlTag(
      built,
      [input(value)],
      () => tagsOf(built),
      constructsFunctions,
    );
    assert.equal(finding, undefined);
  });

  test("tag text inside quoted scalar", () => {
    const quoted = "note: '!!js/function'\n";
    const finding = detectJavascriptYamlTag(
      quoted,
      [input(quoted)],
      () => tagsOf(quoted),
      constructsFunctions,
    );
    assert.equal(finding, undefined);
  });

  test("tags parsed only when input occurs", () => {
    let parsed = false;
    const readTags = () => {
      parsed = true;
      return tagsOf(document);
    };
    detectJavascriptYamlTag(document, [input("absent !!js")], readTags, constructsFunctions);
    assert.equal(parsed, false);
  });
});
