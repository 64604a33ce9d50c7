import type { SchemaNode } from "./schema-types";

/** A key or list index on the way from the document root to a value. */
export type PathSegment = string | number;

/** One schema violation, at the value it concerns (or the object missing a key). */
export interface SchemaError {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

/** Writes a path the way policy errors name values: `allow[2].route`, `detectors.sqli`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text === "" ? "(top level)" : text;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "object") return "map";
  return typeof value;
}

function describeType(type: NonNullable<SchemaNode["type"]>): string {
  if (type === "object") return "a map";
  if (type === "array") return "a list";
  if (type === "integer") return "an integer";
  return `a ${type}`;
}

function matchesType(value: unknown, type: NonNullable<SchemaNode["type"]>): boolean {
  switch (type) {
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Validates a parsed document against a schema of the subset in schema-types.ts and returns every
 * violation, not only the first. Keywords outside that subset are ignored.
 */
export function validateAgainstSchema(
  value: unknown,
  schema: SchemaNode,
  path: PathSegment[] = [],
): SchemaError[] {
  const errors: SchemaError[] = [];
  checkNode(value, schema, path, errors);
  return errors;
}

function checkNode(
  value: unknown,
  schema: SchemaNode,
  path: PathSegment[],
  errors: SchemaError[],
): void {
  if (schema.type !== undefined && !matchesType(value, schema.type)) {
    errors.push({ path, message: `expected ${describeType(schema.type)}, got ${typeOf(value)}` });
    return;
  }

  if (schema.enum !== undefined && !schema.enum.includes(value as string)) {
    errors.push({
      path,
      message: `invalid value ${quote(value)}; expected one of ${schema.enum.join(", ")}`,
    });
    return;
  }

  if (schema.const !== undefined && value !== schema.const) {
    errors.push({
      path,
      message: `invalid value ${quote(value)}; expected ${quote(schema.const)}`,
    });
    return;
  }

  if (typeof value === "string") checkString(value, schema, path, errors);
  if (typeof value === "number") checkNumber(value, schema, path, errors);
  if (Array.isArray(value)) checkArray(value, schema, path, errors);
  else if (typeof value === "object" && value !== null)
    checkObject(value as Record<string, unknown>, schema, path, errors);

  if (schema.anyOf !== undefined) checkAnyOf(value, schema, path, errors);
  if (schema.oneOf !== undefined) checkOneOf(value, schema.oneOf, path, errors);
}

/**
 * Accepts the value when exactly one alternative accepts it. Otherwise reports the errors of the
 * alternative with the fewest errors, because that one names the key to fix.
 */
function checkOneOf(
  value: unknown,
  alternatives: readonly SchemaNode[],
  path: PathSegment[],
  errors: SchemaError[],
): void {
  const results = alternatives.map((alternative) =>
    validateAgainstSchema(value, alternative, path),
  );
  const passing = results.filter((result) => result.length === 0).length;
  if (passing === 1) return;
  if (passing > 1) {
    errors.push({ path, message: "matches more than one of the allowed forms" });
    return;
  }

  // Ties go to the alternative whose fixed values (`const`) match, as that is the form meant.
  const score = (result: readonly SchemaError[]) =>
    result.length + (result.some((error) => error.message.includes('; expected "')) ? 0.5 : 0);
  const closest = results.reduce((best, result) => (score(result) < score(best) ? result : best));
  errors.push(...closest);
}

function checkString(
  value: string,
  schema: SchemaNode,
  path: PathSegment[],
  errors: SchemaError[],
) {
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    const message =
      schema.minLength === 1
        ? "must not be empty"
        : `must be at least ${schema.minLength} characters`;
    errors.push({ path, message });
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength)
    errors.push({ path, message: `must be at most ${schema.maxLength} characters` });
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value))
    errors.push({
      path,
      message: `invalid value ${quote(value)}; expected text matching /${schema.pattern}/`,
    });
}

function checkNumber(
  value: number,
  schema: SchemaNode,
  path: PathSegment[],
  errors: SchemaError[],
) {
  const tooLow = schema.minimum !== undefined && value < schema.minimum;
  const tooHigh = schema.maximum !== undefined && value > schema.maximum;
  if (!tooLow && !tooHigh) return;

  const range =
    schema.maximum === undefined
      ? `at least ${schema.minimum}`
      : `from ${schema.minimum ?? "-∞"} to ${schema.maximum}`;
  errors.push({ path, message: `${value} is out of range; expected ${range}` });
}

function checkArray(
  value: unknown[],
  schema: SchemaNode,
  path: PathSegment[],
  errors: SchemaError[],
) {
  if (schema.minItems !== undefined && value.length < schema.minItems)
    errors.push({ path, message: `must list at least ${schema.minItems} item(s)` });
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    errors.push({ path, message: `must list at most ${schema.maxItems} items` });
  if (schema.items === undefined) return;

  for (let index = 0; index < value.length; index++)
    checkNode(value[index], schema.items, [...path, index], errors);
}

function checkObject(
  value: Record<string, unknown>,
  schema: SchemaNode,
  path: PathSegment[],
  errors: SchemaError[],
): void {
  for (const key of schema.required ?? []) {
    if (!(key in value)) errors.push({ path, message: `missing required key "${key}"` });
  }
  if (schema.minProperties !== undefined && Object.keys(value).length < schema.minProperties)
    errors.push({ path, message: `must set at least ${schema.minProperties} key(s)` });

  const properties = schema.properties ?? {};
  for (const [key, child] of Object.entries(value)) {
    const known = properties[key];
    if (known !== undefined) {
      checkNode(child, known, [...path, key], errors);
      continue;
    }

    const extra = schema.additionalProperties;
    if (extra === false) {
      const expected = Object.keys(properties).join(", ");
      errors.push({
        path: [...path, key],
        message: `unknown ${schema["x-key"] ?? "key"}; expected one of ${expected}`,
      });
    } else if (typeof extra === "object") {
      checkNode(child, extra, [...path, key], errors);
    }
  }
}

/**
 * Accepts the value when one alternative accepts it. Otherwise reports the alternative of the
 * value's own type (so `attackType: sqli` gets the enum message), or lists what was expected.
 */
function checkAnyOf(
  value: unknown,
  schema: SchemaNode,
  path: PathSegment[],
  errors: SchemaError[],
) {
  const alternatives = schema.anyOf ?? [];
  const results = alternatives.map((alternative) =>
    validateAgainstSchema(value, alternative, path),
  );
  if (results.some((result) => result.length === 0)) return;

  const requiredKeys = alternatives.flatMap((alternative) => alternative.required ?? []);
  if (requiredKeys.length === alternatives.length && requiredKeys.length > 0) {
    errors.push({ path, message: `must set at least one of ${requiredKeys.join(", ")}` });
    return;
  }

  const sameType = alternatives.findIndex(
    (alternative) => alternative.type !== undefined && matchesType(value, alternative.type),
  );
  if (sameType !== -1) {
    errors.push(...(results[sameType] ?? []));
    return;
  }
  const types = alternatives.map((alternative) =>
    alternative.type === "array" && alternative.items?.type !== undefined
      ? `a list of ${alternative.items.type}s`
      : describeType(alternative.type ?? "object"),
  );
  errors.push({ path, message: `expected ${types.join(" or ")}, got ${typeOf(value)}` });
}
