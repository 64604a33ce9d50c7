/** Longest operation text remembered, in characters; longer texts are never remembered. */
const maxTextLength = 4096;

/** Most texts remembered; the oldest is forgotten first. Worst case 4 MB of UTF-16 text. */
const maxEntries = 500;

/**
 * Operation texts that the app ran during a request without any input of that request changing
 * their structure. When a later request's input happens to equal several tokens of such a text,
 * as a search for `SELECT * FROM` against a parameterized query starting with those words, the
 * finding is a coincidence: the app already built that exact text without the input's help. An
 * attacker cannot use this to hide an injection, because the injected text would have to be one
 * the app had already run as it is.
 */
export class StaticOperations {
  private readonly texts = new Map<string, true>();

  /** Returns whether the text was run before without an input changing it. */
  has(text: string): boolean {
    return text.length <= maxTextLength && this.texts.has(text);
  }

  /** Remembers a text that was judged free of injection. */
  remember(text: string): void {
    if (text.length > maxTextLength || this.texts.has(text)) return;

    if (this.texts.size >= maxEntries) {
      const oldest = this.texts.keys().next().value;
      if (oldest !== undefined) this.texts.delete(oldest);
    }
    this.texts.set(text, true);
  }
}
