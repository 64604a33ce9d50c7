import { readFileSync } from "node:fs";
import path from "node:path";

function readVersion(): string {
  // dist/version.js sits one level below the package root in the build output.
  const manifest = path.join(__dirname, "..", "package.json");
  try {
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0-unknown";
  }
}

/** Version of the `rampart` package, as in its package.json. */
export const agentVersion = readVersion();
