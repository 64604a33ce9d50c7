import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const schemaFile = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../docs/event.schema.json",
);

const ajv = new Ajv2020({ allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));

/** Returns the schema violations of one event as readable lines, or an empty list when it is valid. */
export function eventSchemaErrors(event: unknown): string[] {
  if (validate(event)) return [];
  return (validate.errors ?? []).map(
    (error) => `${error.instancePath || "/"} ${error.message ?? "is invalid"}`,
  );
}
