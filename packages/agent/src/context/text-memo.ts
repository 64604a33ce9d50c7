/**
 * Results of a pure function of a request text, kept across requests. A client sends the same
 * header values (a User-Agent, the bearer token of its session) with every request, and decoding
 * them again costs more than a lookup. A text longer than `maxTextLength` characters is computed
 * every time, and a full table is emptied before the next entry. The memory stays bounded whatever
 * clients send: at most `maxEntries` texts and their results.
 */
export class TextMemo<Result> {
  private readonly results = new Map<string, Result>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxTextLength: number,
  ) {}

  /** Returns `compute(text)`, from the table when the same text was computed before. */
  get(text: string, compute: (text: string) => Result): Result {
    if (text.length > this.maxTextLength) return compute(text);

    const known = this.results.get(text);
    if (known !== undefined || this.results.has(text)) return known as Result;

    const result = compute(text);
    if (this.results.size >= this.maxEntries) this.results.clear();
    this.results.set(text, result);
    return result;
  }

  /** Number of texts kept, for tests of the bound. */
  get size(): number {
    return this.results.size;
  }
}
