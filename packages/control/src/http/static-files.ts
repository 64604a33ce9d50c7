import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ServerResponse } from "node:http";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Serves a file of the dashboard folder by name; names are taken from a fixed list, never from the URL as a path. */
export async function sendStaticFile(
  res: ServerResponse,
  folder: string,
  name: string,
): Promise<void> {
  const body = await readFile(path.join(folder, name));
  res.writeHead(200, {
    "content-type": types[path.extname(name)] ?? "application/octet-stream",
    "cache-control": "no-cache",
  });
  res.end(body);
}
