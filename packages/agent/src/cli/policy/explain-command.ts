import { modeFor, readConfig } from "../../config";
import type { PolicyDocument } from "../../policy/document";
import { envSettings, isSet } from "../../policy/env-settings";
import { formatProblem, loadPolicyFile, type LoadedPolicy } from "../../policy/load";
import { gateKeys } from "../../policy/schema-keys";
import { attackTypes } from "../../telemetry/security-event";
import { exitCodes, type CliIo } from "../io";

/** Returns the source of an effective setting, as printed in the last column. */
function sourceOf(variable: string, fromFile: string | undefined, env: NodeJS.ProcessEnv): string {
  if (isSet(env, variable))
    return fromFile === undefined
      ? `env ${variable}`
      : `env ${variable} (overrides file: ${fromFile})`;
  return fromFile === undefined ? "default" : "file";
}

function detectorLines(
  document: PolicyDocument,
  env: NodeJS.ProcessEnv,
  policy: LoadedPolicy | undefined,
) {
  const { config } = readConfig(env, policy);
  const envModes = (env.RAMPART_DETECTOR_MODES ?? "").toLowerCase();
  return attackTypes.map((type) => {
    const fromFile = document.detectors?.[type];
    const fromEnv = new RegExp(`(?:^|,)\\s*${type}\\s*=`).test(envModes);
    let source = fromFile === undefined ? "global mode" : "file";
    if (fromEnv)
      source =
        fromFile === undefined
          ? "env RAMPART_DETECTOR_MODES"
          : `env RAMPART_DETECTOR_MODES (overrides file: ${fromFile})`;
    return [`detectors.${type}`, modeFor(config, type), source] as const;
  });
}

function settingLines(document: PolicyDocument, env: NodeJS.ProcessEnv) {
  return envSettings
    .filter((setting) => setting.key !== "detectors")
    .map((setting) => {
      const fromFile = setting.read(document);
      const envValue = env[setting.variable]?.trim() ?? "";
      let value = fromFile ?? "(default)";
      if (envValue !== "")
        value =
          setting.combine === "merge" && fromFile !== undefined
            ? `${fromFile},${envValue}`
            : envValue;
      return [setting.key, value, sourceOf(setting.variable, fromFile, env)] as const;
    });
}

function policyOnlyLines(document: PolicyDocument): (readonly [string, string, string])[] {
  const lines: (readonly [string, string, string])[] = [];
  const show = (key: string, value: unknown) => {
    if (value !== undefined) lines.push([key, JSON.stringify(value), "file"]);
  };
  (document.allow ?? []).forEach((rule, index) => show(`allow[${index}]`, rule));
  show("sampling", document.sampling);
  show("canary", document.canary);
  show("blockResponse", document.blockResponse);
  show("trustedProxies", document.trustedProxies);
  show("clientIpHeader", document.clientIpHeader);
  for (const key of gateKeys) show(key, document[key]);
  return lines;
}

function table(rows: readonly (readonly [string, string, string])[]): string {
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) => `${row[0].padEnd(widths[0]!)}  ${row[1].padEnd(widths[1]!)}  ${row[2]}`)
    .join("\n");
}

/**
 * `rampart policy explain [FILE]`: prints every effective setting with its source: the policy
 * file, an environment variable (marked, with the file's value it overrides), or the default.
 */
export function explainPolicy(file: string | undefined, io: CliIo, env: NodeJS.ProcessEnv): number {
  let policy: LoadedPolicy | undefined;
  if (file !== undefined) {
    const result = loadPolicyFile(file);
    if (!result.ok) {
      for (const problem of result.problems) io.stderr.write(`${formatProblem(problem)}\n`);
      return exitCodes.failed;
    }
    policy = result.policy;
  }

  const document = policy?.document ?? {};
  const header =
    policy === undefined
      ? "policy file: none (environment and defaults only)"
      : `policy file: ${policy.file}\npolicy version: ${policy.version}`;
  const rows = [
    ["key", "effective value", "source"] as const,
    ...settingLines(document, env),
    ...detectorLines(document, env, policy),
  ];
  const rules = policyOnlyLines(document).map(([key, value]) => `${key}: ${value}`);
  const rulesText =
    rules.length === 0 ? "" : `\nSet only in the policy file:\n${rules.join("\n")}\n`;
  io.stdout.write(`${header}\n\n${table(rows)}\n${rulesText}`);
  return exitCodes.ok;
}
