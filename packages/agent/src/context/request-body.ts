import { buildFormObject } from "./request-inputs";
import { parseMultipart } from "./multipart-body";
import type { UploadedFileName } from "./uploaded-files";

/**
 * Bytes of a request body kept for inspection, in bytes. A body longer than this is seen only up
 * to here: a JSON body cut there no longer parses and is inspected as text, and a urlencoded or
 * multipart body loses the pairs and parts past the cut.
 */
export const maxCapturedBodyBytes = 1024 * 1024;

/** The body read from captured bytes: the parsed value, and the file parts of a multipart body. */
interface ParsedBody {
  readonly body: unknown;
  readonly files: readonly UploadedFileName[] | undefined;
}

/** Returns the media type of a Content-Type value, lower-cased and without parameters. */
function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return "";
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

function isJsonType(type: string): boolean {
  return type === "application/json" || type.endsWith("+json");
}

/** Types whose body is text that apps parse or use themselves: XML, GraphQL, CSV, plain text. */
function isTextType(type: string): boolean {
  return (
    type === "" ||
    type.startsWith("text/") ||
    type === "application/xml" ||
    type.endsWith("+xml") ||
    type === "application/graphql" ||
    type === "application/javascript"
  );
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Parses a captured body by its Content-Type: JSON, urlencoded (nested as `qs` nests it),
 * multipart (field values and file names), or text. Binary types (images, octet streams) give
 * undefined, so that their bytes are not decoded as text.
 */
function parseBody(bytes: Buffer, contentType: string | undefined): ParsedBody {
  const type = mediaTypeOf(contentType);
  if (isJsonType(type)) return { body: parseJsonOrText(bytes.toString("utf8")), files: undefined };
  if (type === "application/x-www-form-urlencoded") {
    return { body: buildFormObject(bytes.toString("utf8")), files: undefined };
  }
  if (type === "multipart/form-data") {
    const multipart = parseMultipart(bytes, contentType ?? "");
    return { body: multipart.fields, files: multipart.files };
  }
  if (isTextType(type)) return { body: bytes.toString("utf8"), files: undefined };
  return { body: undefined, files: undefined };
}

/**
 * The first `maxCapturedBodyBytes` of a request body, kept as the server receives them, whether
 * or not the app reads the stream. Parsed lazily, when a sink asks for the request's inputs and
 * no framework parsed the body, and again only after more bytes arrived.
 */
export class CapturedBody {
  private readonly chunks: Buffer[] = [];
  private byteLength = 0;
  /** True when bytes past `maxCapturedBodyBytes` arrived and were not kept. */
  truncated = false;
  private parsedLength = -1;
  private parsed: ParsedBody | undefined;

  constructor(private readonly contentType: string | undefined) {}

  /** Keeps a chunk that the HTTP parser pushed, up to the limit. The chunk is not copied. */
  append(chunk: unknown): void {
    if (typeof chunk === "string") chunk = Buffer.from(chunk, "utf8");
    if (!Buffer.isBuffer(chunk) || chunk.length === 0) return;

    const room = maxCapturedBodyBytes - this.byteLength;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    if (chunk.length > room) {
      this.truncated = true;
      chunk = chunk.subarray(0, room);
    }
    this.chunks.push(chunk as Buffer);
    this.byteLength += (chunk as Buffer).length;
  }

  /** Returns the parsed body of the bytes received so far. */
  value(): unknown {
    return this.parse().body;
  }

  /** Returns the file parts of a multipart body as of the last `value()`, the same array until more bytes arrive. */
  files(): readonly UploadedFileName[] | undefined {
    return this.parsed?.files;
  }

  private parse(): ParsedBody {
    if (this.parsed !== undefined && this.parsedLength === this.byteLength) return this.parsed;

    const bytes =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.parsed = parseBody(bytes, this.contentType);
    this.parsedLength = this.byteLength;
    return this.parsed;
  }
}
