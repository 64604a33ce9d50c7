import { fileURLToPath } from "node:url";

/**
 * Returns the text of a path argument as `node:fs` reads it, or undefined for arguments that
 * name no path (a file descriptor, a FileHandle). Buffers are read as UTF-8, the encoding that
 * `Buffer.from(string)` writes. A `file:` URL object becomes the path it names.
 */
export function pathText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8");
  if (value instanceof URL) return urlPath(value);
  return undefined;
}

function urlPath(url: URL): string | undefined {
  if (url.protocol !== "file:") return undefined;
  try {
    return fileURLToPath(url);
  } catch {
    // fs rejects this URL itself (an encoded `/`, or a host on POSIX); judge its path anyway.
    return decodeURIComponentSafely(url.pathname);
  }
}

function decodeURIComponentSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
