/**
 * The subset of JSON Schema (draft 2020-12) that policy schemas use. The agent validates with its
 * own small validator (validate.ts), so the published schema must stay within these keywords.
 * `x-key` names what an object's keys are (such as "attack type") in error messages.
 */
export interface SchemaNode {
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
  description?: string;
  enum?: readonly (string | number | boolean)[];
  const?: string | number | boolean;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: readonly string[];
  minProperties?: number;
  items?: SchemaNode;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  anyOf?: readonly SchemaNode[];
  oneOf?: readonly SchemaNode[];
  "x-key"?: string;
}
