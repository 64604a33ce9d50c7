import type { Finding, UserInput } from "../types";
import { tokenizeHtml, type HtmlComment, type HtmlStructure, type HtmlTag } from "./tokenizer";
import { isScriptUrl, isUrlAttribute, normalizeUrlPrefix } from "./url-attribute";

/** Reason that a reflected input counts as markup injection. */
export type XssFindingReason =
  | "tag-injection"
  | "event-handler"
  | "attribute-injection"
  | "attribute-breakout"
  | "script-url"
  | "script-breakout"
  | "raw-text-breakout"
  | "comment-breakout"
  | "comment-injection";

/** `<b>` is the shortest input that adds a tag; shorter inputs cannot add markup on their own. */
export const minInputLength = 3;

/**
 * True when an input contains a character without which it cannot add markup: `<` (tags, comments,
 * end tags), `=` (attributes), `>` (comment end) or `&` (an entity-encoded scheme). An input whose
 * only such character is `:` can only start a script URL, so it must also name a script scheme.
 * That keeps a reflected `Host` header (`127.0.0.1:3000`) from costing a tokenization per page.
 */
function canFormMarkup(value: string): boolean {
  if (value.length < minInputLength) return false;

  let hasColon = false;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code === 0x3c || code === 0x3d || code === 0x3e || code === 0x26) return true;
    if (code === 0x3a) hasColon = true;
  }
  return hasColon && namesScriptScheme(value);
}

const scriptScheme = /(?:java|vb)script:|data:/i;

function namesScriptScheme(value: string): boolean {
  if (scriptScheme.test(value)) return true;
  // The URL parser drops tabs and line breaks, so `java\tscript:` is a scheme too.
  return /[\t\n\r]/.test(value) && scriptScheme.test(value.replace(/[\t\n\r]/g, ""));
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Index of the first item whose `start` is at or after `offset` (items sorted by start). */
function firstFrom(items: readonly { readonly start: number }[], offset: number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((items[middle] as { start: number }).start < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** One input being judged, and whether the page contains its escaped form (undefined until searched). */
interface JudgedInput {
  readonly value: string;
  containsEscaped: boolean | undefined;
}

/**
 * True when an occurrence is exactly one attribute-free tag (`<p>`, `</script>`) and the page also
 * contains the input escaped: the app escaped the input, and the raw match is the page's own markup.
 */
function isOwnMarkupMatch(
  tag: HtmlTag,
  start: number,
  end: number,
  html: string,
  judged: JudgedInput,
): boolean {
  if (tag.start !== start || tag.end !== end || tag.attributes.length > 0) return false;
  judged.containsEscaped ??= html.includes(escapeHtml(judged.value));
  return judged.containsEscaped;
}

function judgeTagStarts(
  structure: HtmlStructure,
  html: string,
  judged: JudgedInput,
  start: number,
  end: number,
): XssFindingReason | undefined {
  const { tags } = structure;
  for (let index = firstFrom(tags, start); index < tags.length; index++) {
    const tag = tags[index] as HtmlTag;
    if (tag.start >= end) break;
    if (isOwnMarkupMatch(tag, start, end, html, judged)) continue;

    if (tag.kind === "start") return "tag-injection";
    if (tag.closesRawText && breaksOutOfRawText(structure, tag, start, end))
      return tag.name === "script" ? "script-breakout" : "raw-text-breakout";
  }
  return undefined;
}

/**
 * True when the occurrence starts inside the raw text that this end tag closes and goes on past it.
 * An occurrence that is only the end tag itself (`</script>`) may be the page's own end tag.
 */
function breaksOutOfRawText(
  structure: HtmlStructure,
  endTag: HtmlTag,
  start: number,
  end: number,
): boolean {
  const { rawTexts } = structure;
  const raw = rawTexts[firstFrom(rawTexts, endTag.start + 1) - 1];
  if (raw === undefined || raw.end !== endTag.start || start < raw.start) return false;
  return start < raw.end || end > endTag.end;
}

/** True for a name that starts like an attribute name: a letter, or `_ : @ ( [ *` of client-side template syntax. */
function hasAttributeName(name: string): boolean {
  return /^[a-z_:@([*]/.test(name);
}

/**
 * Index of the first attribute that an occurrence starting at `offset` can touch: the one that
 * contains `offset`, else the first after it. Attributes are in document order and do not overlap.
 */
function firstAttributeAt(attributes: HtmlTag["attributes"], offset: number): number {
  let low = 0;
  let high = attributes.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((attributes[middle] as HtmlTag["attributes"][number]).nameStart < offset) low = middle + 1;
    else high = middle;
  }
  return Math.max(0, low - 1);
}

/**
 * Judges the attributes of one tag that the occurrence overlaps. Only attributes from the one that
 * contains `start` up to the last that starts before `end` are read, so a tag with many attributes
 * and many occurrences inside it costs time linear in its size.
 */
function judgeAttributes(
  tag: HtmlTag,
  html: string,
  start: number,
  end: number,
): XssFindingReason | undefined {
  let brokeOutOfQuote = false;
  const { attributes } = tag;

  for (let index = firstAttributeAt(attributes, start); index < attributes.length; index++) {
    const attribute = attributes[index] as HtmlTag["attributes"][number];
    if (attribute.nameStart >= end) break;
    if (attribute.quote !== "" && attribute.valueEnd >= start && attribute.valueEnd < end)
      brokeOutOfQuote = attribute.valueStart <= start;

    // An added attribute counts only with a value and a name that some code can read. A bare
    // word that lands in an unquoted value (`title=a b`) adds a harmless valueless attribute,
    // and `'===` after a quote adds one named `=`.
    const addedWithValue =
      hasAttributeName(attribute.name) &&
      attribute.nameStart >= start &&
      attribute.nameStart < end &&
      attribute.equalsOffset >= start &&
      attribute.equalsOffset < end;
    if (addedWithValue) {
      if (attribute.name.startsWith("on")) return "event-handler";
      return brokeOutOfQuote ? "attribute-breakout" : "attribute-injection";
    }

    if (isUrlAttribute(attribute.name) && controlsUrlScheme(attribute, html, start, end))
      return "script-url";
  }
  return undefined;
}

/** True when the occurrence supplies the start of a URL attribute's value and that value runs script. */
function controlsUrlScheme(
  attribute: HtmlTag["attributes"][number],
  html: string,
  start: number,
  end: number,
): boolean {
  if (attribute.valueStart === -1) return false;

  let first = attribute.valueStart;
  while (first < attribute.valueEnd && html.charCodeAt(first) <= 0x20) first++;
  if (first >= attribute.valueEnd || first < start || first >= end) return false;

  return isScriptUrl(normalizeUrlPrefix(html.slice(first, attribute.valueEnd)));
}

function judgeOverlappingTags(
  structure: HtmlStructure,
  html: string,
  start: number,
  end: number,
): XssFindingReason | undefined {
  const { tags } = structure;
  // The tag that contains `start` begins before it, so step back one tag from the first at `start`.
  let index = Math.max(0, firstFrom(tags, start) - 1);
  for (; index < tags.length; index++) {
    const tag = tags[index] as HtmlTag;
    if (tag.start >= end) break;
    if (tag.end <= start || tag.kind !== "start") continue;

    const reason = judgeAttributes(tag, html, start, end);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function judgeComments(
  structure: HtmlStructure,
  start: number,
  end: number,
): XssFindingReason | undefined {
  const { comments } = structure;
  const first = firstFrom(comments, start);
  if (first < comments.length && (comments[first] as HtmlComment).start < end)
    return "comment-injection";

  // Only the last comment that opens before the occurrence can contain its start.
  const enclosing = comments[first - 1];
  if (enclosing === undefined || start < enclosing.start + 4) return undefined;
  const closesInside = enclosing.closeOffset >= start && enclosing.closeOffset < end;
  return closesInside ? "comment-breakout" : undefined;
}

/** Judges one occurrence `[start, end)` of an input in the page. */
function judgeOccurrence(
  structure: HtmlStructure,
  html: string,
  judged: JudgedInput,
  start: number,
): XssFindingReason | undefined {
  const end = start + judged.value.length;
  return (
    judgeTagStarts(structure, html, judged, start, end) ??
    judgeOverlappingTags(structure, html, start, end) ??
    judgeComments(structure, start, end)
  );
}

/**
 * Judges every non-overlapping occurrence of an input, with no cap on their number: an attack
 * repeated after many harmless reflections is still found. Each occurrence costs a binary search
 * plus the tags and attributes inside it, so the total stays linear in the page length.
 */
function judgeInput(structure: HtmlStructure, html: string, input: UserInput): Finding | undefined {
  const judged: JudgedInput = { value: input.value, containsEscaped: undefined };
  for (
    let start = html.indexOf(input.value);
    start !== -1;
    start = html.indexOf(input.value, start + input.value.length)
  ) {
    const reason = judgeOccurrence(structure, html, judged, start);
    if (reason !== undefined) return { input, offset: start, reason };
  }
  return undefined;
}

/** Result for the many requests without an input that can add markup. It is never modified. */
const noMarkupInputs: readonly UserInput[] = [];

const markupInputsCache = new WeakMap<readonly UserInput[], readonly UserInput[]>();

/**
 * Returns the inputs that could add markup to a page wherever they occur. Most requests have none,
 * and a response hook can then pass a body without searching it for each input. Cached per input
 * list, which a request context keeps as one array until its parsed parts change.
 */
export function markupInputs(inputs: readonly UserInput[]): readonly UserInput[] {
  let found = markupInputsCache.get(inputs);
  if (found === undefined) {
    const capable = inputs.filter((input) => canFormMarkup(input.value));
    found = capable.length === 0 ? noMarkupInputs : capable;
    markupInputsCache.set(inputs, found);
  }
  return found;
}

/** Returns the inputs that can add markup and occur in the page; undefined when none does. */
function reflectedInputs(html: string, inputs: readonly UserInput[]): UserInput[] | undefined {
  let reflected: UserInput[] | undefined;
  for (const input of inputs) {
    if (!canFormMarkup(input.value) || !html.includes(input.value)) continue;
    (reflected ??= []).push(input);
  }
  return reflected;
}

/**
 * Judges an HTML response body (or one chunk of it, read as starting in text) against the
 * request's inputs. Returns a finding when an occurrence of an input adds a tag, an attribute with
 * a value, an event handler or a script URL, or ends a script, raw-text element or comment that it
 * started inside. Escaped reflections (`&lt;b&gt;`) and plain text never match. Never throws for
 * any string input, and runs in time linear in the page length times the number of reflected
 * inputs.
 */
export function detectXss(html: string, inputs: readonly UserInput[]): Finding | undefined {
  const reflected = reflectedInputs(html, inputs);
  if (reflected === undefined) return undefined;

  const structure = tokenizeHtml(html);
  for (const input of reflected) {
    const finding = judgeInput(structure, html, input);
    if (finding !== undefined) return finding;
  }
  return undefined;
}
