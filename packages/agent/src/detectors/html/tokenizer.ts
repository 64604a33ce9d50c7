/**
 * A single-pass HTML tokenizer that records where the structure of a document lies: tags with
 * their attribute names and values, comments and the text of raw-text elements (`<script>`,
 * `<style>`, `<textarea>`, `<title>`). It follows the WHATWG tokenizer states closely enough to
 * place every `<`, quote and `=` the way a browser does, and only records offsets: no entity
 * decoding, no tree building. Every state advances, so the work is linear in the input length.
 */

/** One attribute of a tag. Offsets are UTF-16 indexes into the tokenized text. */
export interface HtmlAttribute {
  /** Lowercased name. */
  readonly name: string;
  readonly nameStart: number;
  /** Offset of the `=`, or -1 for an attribute without a value. */
  readonly equalsOffset: number;
  /** First character of the value (after the opening quote), or -1 without a value. */
  readonly valueStart: number;
  /** End of the value (the closing quote's offset for a quoted value), or -1 without a value. */
  readonly valueEnd: number;
  /** Quote around the value: `"`, `'`, or the empty string for an unquoted value or none. */
  readonly quote: string;
}

/** A start or end tag. */
export interface HtmlTag {
  readonly kind: "start" | "end";
  /** Lowercased tag name. */
  readonly name: string;
  /** Offset of the `<`. */
  readonly start: number;
  /** Offset after the `>`, or the text length when the tag is unterminated. */
  readonly end: number;
  readonly attributes: readonly HtmlAttribute[];
  /** True for the end tag that ends a raw-text element (`</script>` after `<script>`). */
  readonly closesRawText: boolean;
}

/** A comment `<!-- … -->`. */
export interface HtmlComment {
  /** Offset of the `<` of `<!--`. */
  readonly start: number;
  /** Offset of the sequence that ends the comment (`-->`, `--!>`, or the `>` of `<!-->`), or -1 when unterminated. */
  readonly closeOffset: number;
}

/** The text content of a raw-text element, where no tag starts until the matching end tag. */
export interface HtmlRawText {
  readonly tagName: string;
  readonly start: number;
  readonly end: number;
}

/** Structure of a tokenized document, each list sorted by offset. */
export interface HtmlStructure {
  readonly tags: readonly HtmlTag[];
  readonly comments: readonly HtmlComment[];
  readonly rawTexts: readonly HtmlRawText[];
}

/**
 * Elements whose content is raw text or escapable raw text: a `<` inside does not start a tag.
 * `noscript` is raw text when scripting is enabled, as it is in every browser that runs an attack.
 */
const rawTextElements: ReadonlySet<string> = new Set([
  "script",
  "style",
  "textarea",
  "title",
  "xmp",
  "iframe",
  "noembed",
  "noframes",
  "noscript",
]);

function isWhitespace(code: number): boolean {
  // Tab, line feed, form feed, carriage return and space: the HTML tokenizer's whitespace.
  return code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d || code === 0x20;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** Mutable tokenizer state over one text. */
class Tokenizer {
  readonly tags: HtmlTag[] = [];
  readonly comments: HtmlComment[] = [];
  readonly rawTexts: HtmlRawText[] = [];
  private position = 0;

  constructor(private readonly html: string) {}

  run(): void {
    const { html } = this;
    while (this.position < html.length) {
      const lessThan = html.indexOf("<", this.position);
      if (lessThan === -1) return;
      this.position = lessThan;
      this.readMarkup();
    }
  }

  /** Reads what starts at a `<`: a tag, a comment, a bogus comment, or a plain `<` of text. */
  private readMarkup(): void {
    const { html } = this;
    const start = this.position;
    const next = html.charCodeAt(start + 1);

    if (isAsciiLetter(next)) {
      this.readTag(start, "start");
      return;
    }
    if (next === 0x2f /* / */) {
      this.readAfterSolidus(start);
      return;
    }
    if (next === 0x21 /* ! */) {
      if (html.startsWith("<!--", start)) this.readComment(start);
      else this.skipBogusComment(start + 2);
      return;
    }
    if (next === 0x3f /* ? */) {
      this.skipBogusComment(start + 2);
      return;
    }

    // `a < b`: a `<` not followed by a tag name is text.
    this.position = start + 1;
  }

  private readAfterSolidus(start: number): void {
    const next = this.html.charCodeAt(start + 2);
    if (isAsciiLetter(next)) {
      this.readTag(start, "end");
      return;
    }
    if (next === 0x3e /* > */) {
      this.position = start + 3;
      return;
    }
    this.skipBogusComment(start + 2);
  }

  /** Skips `<!doctype …>`, `<?…>` or `</1…>` up to the next `>`, as the bogus comment state does. */
  private skipBogusComment(from: number): void {
    const greaterThan = this.html.indexOf(">", from);
    this.position = greaterThan === -1 ? this.html.length : greaterThan + 1;
  }

  private readComment(start: number): void {
    const { html } = this;
    const bodyStart = start + 4;

    // `<!-->` and `<!--->` end at once (abrupt closing of an empty comment).
    if (html.charCodeAt(bodyStart) === 0x3e) {
      this.finishComment(start, bodyStart, bodyStart + 1);
      return;
    }
    if (html.startsWith("->", bodyStart)) {
      this.finishComment(start, bodyStart, bodyStart + 2);
      return;
    }

    const dashes = html.indexOf("-->", bodyStart);
    const bang = html.indexOf("--!>", bodyStart);
    if (dashes === -1 && bang === -1) {
      this.finishComment(start, -1, html.length);
      return;
    }
    if (bang !== -1 && (dashes === -1 || bang < dashes)) {
      this.finishComment(start, bang, bang + 4);
      return;
    }
    this.finishComment(start, dashes, dashes + 3);
  }

  private finishComment(start: number, closeOffset: number, next: number): void {
    this.comments.push({ start, closeOffset });
    this.position = next;
  }

  private readTag(start: number, kind: HtmlTag["kind"]): void {
    const { html } = this;
    const nameStart = start + (kind === "start" ? 1 : 2);
    let index = nameStart;
    while (index < html.length) {
      const code = html.charCodeAt(index);
      if (isWhitespace(code) || code === 0x2f || code === 0x3e) break;
      index++;
    }
    const name = html.slice(nameStart, index).toLowerCase();

    this.position = index;
    const attributes = this.readAttributes();
    const tag: HtmlTag = {
      kind,
      name,
      start,
      end: this.position,
      attributes,
      closesRawText: false,
    };
    this.tags.push(tag);

    if (kind === "start" && rawTextElements.has(name)) this.readRawText(name);
    else if (kind === "start" && name === "plaintext") this.readPlaintext();
  }

  /** Reads attributes up to and including the `>` that ends the tag (or to the end of the text). */
  private readAttributes(): HtmlAttribute[] {
    const { html } = this;
    const attributes: HtmlAttribute[] = [];

    while (this.position < html.length) {
      const code = html.charCodeAt(this.position);
      if (code === 0x3e) {
        this.position++;
        return attributes;
      }
      // A `/` not followed by `>` acts as a separator (unexpected solidus in tag).
      if (isWhitespace(code) || code === 0x2f) {
        this.position++;
        continue;
      }
      attributes.push(this.readAttribute());
    }
    return attributes;
  }

  private readAttribute(): HtmlAttribute {
    const { html } = this;
    const nameStart = this.position;

    // A leading `=` belongs to the name (unexpected equals sign before attribute name).
    let index = nameStart + 1;
    while (index < html.length) {
      const code = html.charCodeAt(index);
      if (isWhitespace(code) || code === 0x2f || code === 0x3e || code === 0x3d) break;
      index++;
    }
    const name = html.slice(nameStart, index).toLowerCase();

    index = this.skipWhitespace(index);
    if (html.charCodeAt(index) !== 0x3d /* = */) {
      this.position = index;
      return { name, nameStart, equalsOffset: -1, valueStart: -1, valueEnd: -1, quote: "" };
    }

    const equalsOffset = index;
    index = this.skipWhitespace(index + 1);
    return this.readAttributeValue(name, nameStart, equalsOffset, index);
  }

  private readAttributeValue(
    name: string,
    nameStart: number,
    equalsOffset: number,
    from: number,
  ): HtmlAttribute {
    const { html } = this;
    const code = html.charCodeAt(from);

    if (code === 0x22 || code === 0x27) {
      const quote = html[from] as string;
      const close = html.indexOf(quote, from + 1);
      const valueEnd = close === -1 ? html.length : close;
      this.position = close === -1 ? html.length : close + 1;
      return { name, nameStart, equalsOffset, valueStart: from + 1, valueEnd, quote };
    }

    // Unquoted value, possibly empty (`<a href=>`).
    let index = from;
    while (index < html.length) {
      const current = html.charCodeAt(index);
      if (isWhitespace(current) || current === 0x3e) break;
      index++;
    }
    this.position = index;
    return { name, nameStart, equalsOffset, valueStart: from, valueEnd: index, quote: "" };
  }

  private skipWhitespace(from: number): number {
    let index = from;
    while (index < this.html.length && isWhitespace(this.html.charCodeAt(index))) index++;
    return index;
  }

  /**
   * Skips the content of a raw-text element to its end tag, `</name` followed by whitespace, `/`
   * or `>`, compared without case.
   * NOTE: the script data escape states (`<!--` inside a script hides a `</script>` after a nested
   * `<script>`) are not modelled, so that rare page is read as ending at the first `</script>`.
   */
  private readRawText(tagName: string): void {
    const { html } = this;
    const start = this.position;
    const endTag = new RegExp(`</${tagName}(?=[\\t\\n\\f\\r />]|$)`, "gi");
    endTag.lastIndex = start;
    const match = endTag.exec(html);

    const end = match === null ? html.length : match.index;
    this.rawTexts.push({ tagName, start, end });
    if (match === null) {
      this.position = html.length;
      return;
    }

    this.position = end + 2 + tagName.length;
    const attributes = this.readAttributes();
    this.tags.push({
      kind: "end",
      name: tagName,
      start: end,
      end: this.position,
      attributes,
      closesRawText: true,
    });
  }

  /** `<plaintext>` never ends: the rest of the document is text. */
  private readPlaintext(): void {
    this.rawTexts.push({ tagName: "plaintext", start: this.position, end: this.html.length });
    this.position = this.html.length;
  }
}

/** Tokenizes an HTML document or fragment that starts in the data (text) state. Never throws. */
export function tokenizeHtml(html: string): HtmlStructure {
  const tokenizer = new Tokenizer(html);
  tokenizer.run();
  return { tags: tokenizer.tags, comments: tokenizer.comments, rawTexts: tokenizer.rawTexts };
}
