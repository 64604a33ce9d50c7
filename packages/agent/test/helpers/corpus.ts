import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One line of a corpus JSON Lines file. */
export interface CorpusEntry {
  id: string;
  class: string;
  payload?: string;
  payload_json?: unknown;
  context?: string;
  tags?: string[];
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Directory of the attack and benign corpus: RAMPART_CORPUS_DIR, else `shared/corpus` beside the repository. */
export const corpusDir =
  process.env.RAMPART_CORPUS_DIR ?? path.resolve(repoRoot, "../shared/corpus");

/**
 * Returns the reason to skip corpus suites, or undefined when the corpus is present.
 * Under CI=true a missing corpus throws, so a CI run never passes without it.
 */
export function corpusSkipReason(): string | undefined {
  if (existsSync(path.join(corpusDir, "sqli.jsonl"))) return undefined;

  const message = `corpus not found at ${corpusDir}; set RAMPART_CORPUS_DIR to the directory holding sqli.jsonl`;
  if (process.env.CI === "true") throw new Error(message);

  console.log(`# skipping corpus suite: ${message}`);
  return message;
}

/** Reads one corpus file, such as `sqli` or `benign`. */
export function loadCorpus(name: string): CorpusEntry[] {
  const text = readFileSync(path.join(corpusDir, `${name}.jsonl`), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as CorpusEntry);
}
