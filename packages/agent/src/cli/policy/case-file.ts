import { readFileSync } from "node:fs";

import { sqlDialects } from "../../detectors/sql";
import type { SchemaNode } from "../../policy/schema-types";
import { parseWithPositions } from "../../policy/source-map";
import { formatPath, validateAgainstSchema } from "../../policy/validate";
import { CliError } from "../io";
import { sinkAttackTypes, type PolicyCase } from "./replay";

const caseSchema: SchemaNode = {
  type: "object",
  additionalProperties: false,
  required: ["path", "sink", "expect"],
  properties: {
    name: { type: "string" },
    method: { type: "string", minLength: 1 },
    path: { type: "string", pattern: "^/" },
    route: { type: "string", minLength: 1 },
    query: { anyOf: [{ type: "string" }, { type: "object" }] },
    body: {},
    headers: { type: "object", additionalProperties: { type: "string" } },
    clientIp: { type: "string", minLength: 1 },
    sink: { type: "string", enum: Object.keys(sinkAttackTypes) },
    dialect: { type: "string", enum: sqlDialects },
    operation: { type: "string" },
    url: { type: "string" },
    filter: {},
    expect: { type: "string", enum: ["blocked", "monitored", "allowed"] },
  },
};

const caseListSchema: SchemaNode = { type: "array", items: caseSchema, minItems: 1 };

/** Reads a YAML or JSON list of cases; every invalid entry is reported with its line. */
export function readCases(file: string): PolicyCase[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`failed to read the cases file: ${(error as Error).message}`);
  }

  const parsed = parseWithPositions(text);
  const lines = parsed.syntaxErrors.map((error) => `${file}:${error.line}: ${error.message}`);
  if (lines.length === 0) {
    for (const error of validateAgainstSchema(parsed.value, caseListSchema)) {
      const line = parsed.lineOf(error.path);
      lines.push(
        `${file}${line === undefined ? "" : `:${line}`}: ${formatPath(error.path)}: ${error.message}`,
      );
    }
  }
  if (lines.length > 0) throw new CliError(`invalid cases file\n${lines.join("\n")}`);
  return parsed.value as PolicyCase[];
}
