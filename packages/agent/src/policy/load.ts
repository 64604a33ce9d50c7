import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { parseAllowEntry } from "../detectors/ssrf/allow-list";
import { parseCidr } from "./cidr";
import type { PolicyDocument } from "./document";
import { policySchema } from "./schema";
import { parseWithPositions } from "./source-map";
import { formatPath, validateAgainstSchema, type SchemaError } from "./validate";
import { nodeCrypto } from "../builtins";

/** Names the agent looks for in the working directory, in this order. */
export const policyFileNames = ["rampart.policy.yaml", "rampart.policy.yml", "rampart.policy.json"];

/** One reason a policy file is rejected, with the 1-based line when the text has one. */
export interface PolicyProblem {
  readonly file: string;
  readonly line: number | undefined;
  readonly path: string;
  readonly message: string;
}

/** `rampart.policy.yaml:12: detectors.sqli: unknown attack type; expected one of ...` */
export function formatProblem(problem: PolicyProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return `${where}: ${problem.path}: ${problem.message}`;
}

/** A valid policy file. */
export interface LoadedPolicy {
  readonly file: string;
  readonly document: PolicyDocument;
  /** The file's `version`, else `sha256:` and the first 12 hex digits of the file's bytes. */
  readonly version: string;
  /** Hash of the file's bytes, to skip reloads that changed nothing. */
  readonly contentHash: string;
}

export type LoadResult =
  { ok: true; policy: LoadedPolicy } | { ok: false; problems: readonly PolicyProblem[] };

/** Returns the policy file to load: `RAMPART_POLICY` (relative to `cwd`), else the first of policyFileNames in `cwd`. */
export function findPolicyFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const named = env.RAMPART_POLICY?.trim() ?? "";
  if (named !== "") return path.resolve(cwd, named);

  for (const name of policyFileNames) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Reads and validates a policy file. An unreadable file is returned as a problem, not thrown. */
export function loadPolicyFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const message = `failed to read the policy file: ${(error as Error).message}`;
    return { ok: false, problems: [{ file, line: undefined, path: "(file)", message }] };
  }
  return parsePolicyText(text, file);
}

/** Parses and validates policy text; `file` only names the source in problems. */
export function parsePolicyText(text: string, file: string): LoadResult {
  const parsed = parseWithPositions(text);
  if (parsed.syntaxErrors.length > 0) {
    const problems = parsed.syntaxErrors.map((error) => ({
      file,
      line: error.line,
      path: "(syntax)",
      message: error.message,
    }));
    return { ok: false, problems };
  }

  // An empty file is an empty policy: every setting keeps its default.
  const value = parsed.value ?? {};
  const errors = [...validateAgainstSchema(value, policySchema()), ...semanticErrors(value)];
  if (errors.length > 0) {
    const problems = errors.map((error) => ({
      file,
      line: parsed.lineOf(error.path),
      path: formatPath(error.path),
      message: error.message,
    }));
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    return { ok: false, problems };
  }

  const document = value as PolicyDocument;
  const contentHash = nodeCrypto().createHash("sha256").update(text).digest("hex");
  const version = document.version ?? `sha256:${contentHash.slice(0, 12)}`;
  return { ok: true, policy: { file, document, version, contentHash } };
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Checks that the schema cannot express: address blocks, host entries, JSON templates. */
function semanticErrors(value: unknown): SchemaError[] {
  if (typeof value !== "object" || value === null) return [];
  const document = value as Record<string, unknown>;
  const errors: SchemaError[] = [];

  asList(document.trustedProxies).forEach((entry, index) => {
    if (typeof entry === "string" && parseCidr(entry) === undefined)
      errors.push({
        path: ["trustedProxies", index],
        message: `invalid address block "${entry}"; expected an IP address or CIDR such as 10.0.0.0/8`,
      });
  });

  asList(document.allow).forEach((rule, index) => {
    const clientIp = (rule as { clientIp?: unknown } | null)?.clientIp;
    const entries = asList(clientIp);
    entries.forEach((entry, entryIndex) => {
      if (typeof entry !== "string" || parseCidr(entry) !== undefined) return;
      const where: (string | number)[] = ["allow", index, "clientIp"];
      if (Array.isArray(clientIp)) where.push(entryIndex);
      errors.push({
        path: where,
        message: `invalid address block "${entry}"; expected an IP address or CIDR`,
      });
    });
  });

  for (const section of ["ssrf", "redirect"] as const) {
    const hosts = (document[section] as { allowHosts?: unknown } | undefined)?.allowHosts;
    asList(hosts).forEach((entry, index) => {
      const valid =
        typeof entry !== "string" ||
        (section === "ssrf" ? parseAllowEntry(entry) !== undefined : /^[\w.*:[\]-]+$/.test(entry));
      if (!valid)
        errors.push({
          path: [section, "allowHosts", index],
          message: `invalid host "${entry}"; expected a host name, IP address${section === "ssrf" ? " or CIDR block" : ""}`,
        });
    });
  }

  const json = (document.blockResponse as { json?: unknown } | undefined)?.json;
  if (typeof json === "string") {
    try {
      JSON.parse(json.replaceAll("{{event_id}}", "x").replaceAll("{{request_id}}", "x"));
    } catch (error) {
      errors.push({
        path: ["blockResponse", "json"],
        message: `not valid JSON once placeholders are filled in: ${(error as Error).message}`,
      });
    }
  }
  return errors;
}
