import { visitOccurrences } from "../sql/occurrences";
import type { Finding, UserInput } from "../types";

/** A tag on a YAML node: its resolved name and the offsets of its text (`!!js/function`) in the document. */
export interface YamlTag {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** Namespace of the JavaScript types of js-yaml 3 and of js-yaml-js-types (`!!js/function`, `!!js/regexp`, `!!js/undefined`). */
export const javascriptTagPrefix = "tag:yaml.org,2002:js/";

/**
 * Returns a finding when a user input in a YAML document writes a tag of a JavaScript type that
 * the loader's schema constructs. `readTags` parses the tags only when some input occurs in the
 * document; `constructs` returns whether the schema in use defines a tag name.
 *
 * A JavaScript tag that the schema does not define is not judged: js-yaml 5 throws
 * `unknown scalar tag` for it, and nothing is constructed.
 */
export function detectJavascriptYamlTag(
  document: string,
  inputs: Iterable<UserInput>,
  readTags: () => readonly YamlTag[],
  constructs: (tagName: string) => boolean,
): Finding | undefined {
  if (!document.includes("!")) return undefined;

  let tags: readonly YamlTag[] | undefined;
  for (const input of inputs) {
    if (input.value.length < 2 || !input.value.includes("!")) continue;
    if (!document.includes(input.value)) continue;

    tags ??= readTags().filter(
      (tag) => tag.name.startsWith(javascriptTagPrefix) && constructs(tag.name),
    );
    if (tags.length === 0) return undefined;

    const finding = findTagInOccurrence(document, input, tags);
    if (finding !== undefined) return finding;
  }
  return undefined;
}

function findTagInOccurrence(
  document: string,
  input: UserInput,
  tags: readonly YamlTag[],
): Finding | undefined {
  let finding: Finding | undefined;
  visitOccurrences(document, input.value, 0, (offset) => {
    const end = offset + input.value.length;
    const tag = tags.find((candidate) => candidate.start >= offset && candidate.end <= end);
    if (tag !== undefined) finding = { input, offset: tag.start, reason: "javascript-yaml-tag" };
    return finding !== undefined;
  });
  return finding;
}
