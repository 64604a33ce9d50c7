import type { UploadedFileName } from "./uploaded-files";

/** Most parts read from one body; the rest are not inspected. */
const maxParts = 1000;
/** Longest part header block read, in bytes; a longer one ends the parse. */
const maxHeaderBytes = 8 * 1024;

/** Field values and file names of a multipart/form-data body. */
export interface MultipartBody {
  readonly fields: Record<string, unknown>;
  readonly files: UploadedFileName[];
}

function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Decodes a `filename*=UTF-8''name` value (RFC 5987); returns undefined for other charsets. */
function decodeExtendedValue(value: string): string | undefined {
  const match = /^utf-8'[^']*'(.*)$/i.exec(value);
  if (match?.[1] === undefined) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** Reads `name`, `filename` and `filename*` from a part's Content-Disposition header. */
function dispositionOf(headers: string): { name?: string; filename?: string } {
  const line = /^content-disposition:(.*)$/im.exec(headers)?.[1];
  if (line === undefined) return {};

  const result: { name?: string; filename?: string } = {};
  const parameter = /;\s*(name|filename\*?)\s*=\s*(?:"((?:[^"\\\r\n]|\\.)*)"|([^;\r\n]*))/gi;
  for (let match = parameter.exec(line); match !== null; match = parameter.exec(line)) {
    const key = (match[1] as string).toLowerCase();
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? "").trim();
    if (key === "name") result.name = raw;
    else if (key === "filename*") result.filename = decodeExtendedValue(raw) ?? result.filename;
    else result.filename ??= raw;
  }
  return result;
}

function addField(fields: Record<string, unknown>, name: string, value: string): void {
  const existing = fields[name];
  if (existing === undefined) fields[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fields[name] = [existing, value];
}

/**
 * Reads the field values and file names of a multipart/form-data body, as busboy would report
 * them, without the file contents. A part cut off by the capture limit keeps the bytes that
 * arrived. Field names stay flat (`a[b]` is one name), as busboy reports them.
 */
export function parseMultipart(bytes: Buffer, contentType: string): MultipartBody {
  const fields: Record<string, unknown> = Object.create(null);
  const files: UploadedFileName[] = [];
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) return { fields, files };

  const delimiter = Buffer.from(`--${boundary}`, "latin1");
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
  let position = bytes.indexOf(delimiter);

  for (let parts = 0; position !== -1 && parts < maxParts; parts++) {
    const afterDelimiter = position + delimiter.length;
    // `--` after the delimiter closes the body.
    if (bytes[afterDelimiter] === 0x2d && bytes[afterDelimiter + 1] === 0x2d) break;

    const headersEnd = bytes.indexOf("\r\n\r\n", afterDelimiter, "latin1");
    if (headersEnd === -1 || headersEnd - afterDelimiter > maxHeaderBytes) break;

    const headers = bytes.toString("utf8", afterDelimiter, headersEnd);
    const contentStart = headersEnd + 4;
    const next = bytes.indexOf(nextDelimiter, contentStart);
    const contentEnd = next === -1 ? bytes.length : next;

    const { name, filename } = dispositionOf(headers);
    if (name !== undefined) {
      if (filename !== undefined) files.push({ field: name, name: filename });
      else addField(fields, name, bytes.toString("utf8", contentStart, contentEnd));
    }
    position = next === -1 ? -1 : next + 2;
  }
  return { fields, files };
}
