import { applyGatePolicy, gatePolicySchema, type GateSettings } from "../gate";
import type { PolicyDocument } from "./document";
import type { SchemaNode } from "./schema-types";
import { gateKeys } from "./schema-keys";

/** Returns the schema of each gate key, as src/gate defines it. */
export function gateSchemaProperties(): Record<string, SchemaNode> {
  const properties = gatePolicySchema.properties as unknown as Record<string, SchemaNode>;
  const result: Record<string, SchemaNode> = {};
  for (const key of gateKeys) result[key] = properties[key] ?? { type: "object" };
  return result;
}

/** Returns the gate's part of a policy: the gate keys that the document sets. */
export function gateSettingsOf(document: PolicyDocument): GateSettings {
  const settings: Record<string, unknown> = {};
  for (const key of gateKeys) {
    if (document[key] !== undefined) settings[key] = document[key];
  }
  return settings as GateSettings;
}

/**
 * Hands the gate settings to src/gate. It throws when it rejects them (an invalid address in a
 * list, say) and keeps its previous settings, so the caller rejects the whole policy.
 */
export function applyGateSettings(document: PolicyDocument): void {
  applyGatePolicy(gateSettingsOf(document));
}
