/**
 * Realistic page templates, one per place where an app puts user input, with the escaping that
 * makes each place safe, and a structural oracle that does not share code with the detector.
 */

const head = `<!doctype html><html><head><meta charset="utf-8"><title>Search</title>
<link rel="stylesheet" href="/site.css"></head><body><nav><a href="/">Home</a> <a href="/help">Help</a></nav>`;
const tail = `<footer><p>&copy; Example</p><script src="/app.js"></script></footer></body></html>`;

export type HtmlContext =
  | "text"
  | "double-quoted-attribute"
  | "single-quoted-attribute"
  | "unquoted-attribute"
  | "url-attribute"
  | "script-string"
  | "comment";

/** Page with the value placed in one context. */
export const templates: Record<HtmlContext, (value: string) => string> = {
  text: (value) => `${head}<main><h1>Results</h1><p>You searched for ${value}.</p></main>${tail}`,
  "double-quoted-attribute": (value) =>
    `${head}<form action="/search"><input type="text" name="q" value="${value}"><button>Go</button></form>${tail}`,
  "single-quoted-attribute": (value) =>
    `${head}<form action='/search'><input type='text' name='q' value='${value}'><button>Go</button></form>${tail}`,
  "unquoted-attribute": (value) =>
    `${head}<form action=/search><input type=text name=q value=${value}><button>Go</button></form>${tail}`,
  "url-attribute": (value) => `${head}<p><a href="${value}">Your website</a></p>${tail}`,
  "script-string": (value) =>
    `${head}<script>var query = "${value}"; document.title = query;</script>${tail}`,
  comment: (value) => `${head}<!-- last search: ${value} --><p>Done</p>${tail}`,
};

export const contexts = Object.keys(templates) as HtmlContext[];

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The escaping an app applies in each context: HTML escaping, URL encoding, or a JSON string literal. */
export const escapers: Record<HtmlContext, (value: string) => string> = {
  text: escapeHtml,
  "double-quoted-attribute": escapeHtml,
  "single-quoted-attribute": escapeHtml,
  "unquoted-attribute": (value) =>
    escapeHtml(value).replace(/[\s=`]/g, (c) => `&#${c.charCodeAt(0)};`),
  "url-attribute": (value) => `/search?q=${encodeURIComponent(value)}`,
  "script-string": (value) =>
    JSON.stringify(value).slice(1, -1).replace(/</g, "\\u003c").replace(/>/g, "\\u003e"),
  comment: escapeHtml,
};

// A quote opens an attribute value only right after `=`, as in the HTML tokenizer, and an
// unterminated quoted value runs to the end of the page.
const tagBody = /((?:=\s*"[^"]*(?:"|$)|=\s*'[^']*(?:'|$)|[^>])*)/.source;

/**
 * One left-to-right pass with a single regular expression: a comment, a raw-text element with its
 * content up to the first matching end tag, or a tag with its attributes.
 */
const pagePattern = new RegExp(
  [
    /<!--[\s\S]*?(?:--!?>|$)/.source,
    `<(script|style|textarea|title)\\b${tagBody}(?:>[\\s\\S]*?(?:<\\/\\1(?=[\\s/>])|$)|$)`,
    `<[a-zA-Z][^\\s/>]*${tagBody}(?:>|$)`,
  ].join("|"),
  "gi",
);

const attributePattern = /([^\s"'=/>]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]*)/g;

/** True when a tag's attributes that start inside `[start, end)` have a value or a script URL there. */
function attributesAdded(match: RegExpMatchArray, start: number, end: number): boolean {
  const body = match[2] ?? match[3] ?? "";
  const bodyOffset = (match.index ?? 0) + match[0].indexOf(body);
  const inRegion = (offset: number) => offset >= start && offset < end;

  for (const attribute of body.matchAll(attributePattern)) {
    const nameOffset = bodyOffset + (attribute.index ?? 0);
    const rawValue = attribute[2] ?? "";
    const valueOffset = nameOffset + attribute[0].length - rawValue.length;
    if (inRegion(nameOffset) && inRegion(valueOffset - 1)) return true;

    const name = (attribute[1] ?? "").toLowerCase();
    const value = rawValue.replace(/^["']|["']$/g, "");
    const valueStart = valueOffset + (rawValue.length - rawValue.replace(/^["']/, "").length);
    const urlAttribute = /^(?:href|src|action|formaction)$/.test(name);
    if (urlAttribute && inRegion(valueStart + leadingSpace(value)) && runsScript(value))
      return true;
  }
  return false;
}

function leadingSpace(value: string): number {
  // eslint-disable-next-line no-control-regex
  return value.length - value.replace(/^[\u0000-\u0020]+/, "").length;
}

/**
 * True when markup starts inside `[start, end)` of the page: a tag, a comment, an attribute with
 * its `=`, a script URL, or the end of a raw-text element or comment that began before the region.
 */
function markupAdded(page: string, start: number, end: number): boolean {
  const inRegion = (offset: number) => offset >= start && offset < end;

  for (const match of page.matchAll(pagePattern)) {
    const matchStart = match.index ?? 0;
    const matchEnd = matchStart + match[0].length;
    if (matchStart >= end) break;
    if (matchEnd <= start) continue;
    if (inRegion(matchStart)) return true;

    const text = match[0];
    const closesEarly = /(?:--!?>|<\/[a-z]+)$/i.exec(text);
    if (closesEarly !== null && inRegion(matchEnd - closesEarly[0].length) && matchStart < start)
      return true;
    if (!text.startsWith("<!--") && attributesAdded(match, start, end)) return true;
  }
  return false;
}

function runsScript(value: string): boolean {
  const decoded = value
    .replace(/&#x([0-9a-f]+);?/gi, (_m, hex: string) =>
      String.fromCodePoint(parseInt(hex, 16) % 0x110000),
    )
    .replace(/&#(\d+);?/g, (_m, decimal: string) =>
      String.fromCodePoint(Number(decimal) % 0x110000),
    )
    .replace(/&colon;/gi, ":")
    .replace(/&tab;|&newline;/gi, "");
  const compact = decoded
    // eslint-disable-next-line no-control-regex
    .replace(/^[\u0000-\u0020]+/, "")
    .replace(/[\t\n\r]/g, "")
    .toLowerCase();
  return /^(?:javascript:|vbscript:|data:text\/html)/.test(compact);
}

/**
 * True when the value, placed raw in the context, adds markup where it lands: a tag, a comment,
 * an attribute with a value, a script URL, or the early end of a raw-text element or comment.
 */
export function changesStructure(context: HtmlContext, value: string): boolean {
  const marker = "\u0001MARK\u0001";
  const page = templates[context](marker);
  const start = page.indexOf(marker);
  const withValue = templates[context](value);
  return markupAdded(withValue, start, start + value.length);
}
