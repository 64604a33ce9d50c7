import { readConfig, type AgentConfig, type ConfigProblem } from "../config";
import { errorCodes } from "../errors";
import { agentState, setAgentState } from "../guard/agent-state";
import { log, setLogLevel } from "../log";
import { countPolicyRejection } from "../telemetry/metrics";
import { agentInfo } from "../telemetry/prometheus";
import { setExtraRedactKeys } from "../telemetry/redact";
import { compilePolicy } from "./compiled";
import { applyGateSettings } from "./gate-link";
import {
  findPolicyFile,
  formatProblem,
  loadPolicyFile,
  parsePolicyText,
  type LoadedPolicy,
  type PolicyProblem,
} from "./load";
import { watchPolicyFile } from "./watcher";

/** The policy file in force and how to stop watching it. */
interface RunningPolicy {
  file: string;
  contentHash: string | undefined;
  stopWatching: () => void;
}

let running: RunningPolicy | undefined;

function reportPolicyProblems(problems: readonly PolicyProblem[], outcome: string): void {
  countPolicyRejection();
  for (const problem of problems)
    log.error({ code: errorCodes.invalidConfig, file: problem.file }, formatProblem(problem));
  log.error({ code: errorCodes.invalidConfig, problems: problems.length }, outcome);
}

/** Hands the gate its settings; a rejection there rejects the whole policy. */
function applyGate(policy: LoadedPolicy): PolicyProblem | undefined {
  try {
    applyGateSettings(policy.document);
    return undefined;
  } catch (error) {
    return {
      file: policy.file,
      line: undefined,
      path: "(gate)",
      message: (error as Error).message,
    };
  }
}

/** Builds the configuration of a policy (or of the environment alone) with its version set. */
function configFor(
  policy: LoadedPolicy | undefined,
  env: NodeJS.ProcessEnv,
): { config: AgentConfig; problems: ConfigProblem[] } {
  const result = readConfig(env, policy);
  // Without a policy file the version is a hash of the effective configuration, as before.
  result.config.policyVersion ??= agentInfo(result.config).policy_version;
  return result;
}

/** The result of reading the policy at start: the configuration to run and the problems to report. */
export interface StartupPolicy {
  readonly config: AgentConfig;
  readonly problems: ConfigProblem[];
  readonly file: string | undefined;
}

/**
 * Loads the policy at start and installs the agent state. An invalid policy is reported line by
 * line and the agent runs on the environment variables alone, which default to monitor mode.
 */
export function loadStartupPolicy(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): StartupPolicy {
  const file = findPolicyFile(env, cwd);
  const result = file === undefined ? undefined : loadPolicyFile(file);
  let policy = result?.ok === true ? result.policy : undefined;

  if (result?.ok === false)
    reportPolicyProblems(result.problems, "policy rejected; running on environment settings");

  const gateProblem = policy === undefined ? undefined : applyGate(policy);
  if (gateProblem !== undefined) {
    reportPolicyProblems([gateProblem], "policy rejected; running on environment settings");
    policy = undefined;
  }

  const { config, problems } = configFor(policy, env);
  // Without a valid policy the state has no decisions, so the guard takes the modes alone.
  const decisions =
    policy === undefined ? undefined : compilePolicy(policy.document, policy.version, env);
  setAgentState({ config, policy: decisions });
  if (file !== undefined)
    running = { file, contentHash: policy?.contentHash, stopWatching: () => {} };
  return { config, problems, file };
}

/** Settings that only take effect at start; a reload that changes them logs a warning. */
function restartOnlyChanges(before: AgentConfig, after: AgentConfig): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown) =>
    JSON.stringify(a, (_key, value: unknown) => (value instanceof URL ? value.href : value)) ===
    JSON.stringify(b, (_key, value: unknown) => (value instanceof URL ? value.href : value));

  if (!same(before.events, after.events)) changed.push("events");
  if (before.hookEval !== after.hookEval) changed.push("hookEval");
  if (before.freezePrototypes !== after.freezePrototypes) changed.push("freezePrototypes");
  const { redactKeys: _before, ...telemetryBefore } = before.telemetry ?? { redactKeys: [] };
  const { redactKeys: _after, ...telemetryAfter } = after.telemetry ?? { redactKeys: [] };
  if (!same(telemetryBefore, telemetryAfter)) changed.push("telemetry");
  return changed;
}

/** Reports configuration problems and installs a policy (or the environment alone) as the agent state. */
function installPolicy(
  state: { config: AgentConfig },
  policy: LoadedPolicy | undefined,
  env: NodeJS.ProcessEnv,
): AgentConfig {
  const { config, problems } = configFor(policy, env);
  for (const problem of problems)
    log.error(
      { code: errorCodes.invalidConfig, ...problem },
      `invalid ${problem.variable}; expected ${problem.expected}, using ${problem.fallback}`,
    );

  const restartOnly = restartOnlyChanges(state.config, config);
  if (restartOnly.length > 0)
    log.warn({ keys: restartOnly }, "these policy keys take effect at the next start");

  setLogLevel(config.logLevel);
  setExtraRedactKeys(config.telemetry?.redactKeys ?? []);
  const decisions =
    policy === undefined ? undefined : compilePolicy(policy.document, policy.version, env);
  setAgentState({ config, policy: decisions });
  return config;
}

/**
 * Reads the policy file again and, when it changed and is valid, replaces the agent state in one
 * assignment. An invalid file leaves the running policy in force and is reported. While a policy
 * from the control plane is in force, the file is read again only when the agent returns to it.
 * Returns true when a new policy was installed.
 */
export function reloadPolicy(env: NodeJS.ProcessEnv = process.env): boolean {
  const current = running;
  const state = agentState();
  if (current === undefined || state === undefined || remoteVersion !== undefined) return false;

  const result = loadPolicyFile(current.file);
  const keeping = `policy rejected; keeping policy version ${state.config.policyVersion ?? "(none)"}`;
  if (!result.ok) {
    reportPolicyProblems(result.problems, keeping);
    return false;
  }
  const policy = result.policy;
  if (policy.contentHash === current.contentHash) return false;

  const gateProblem = applyGate(policy);
  if (gateProblem !== undefined) {
    reportPolicyProblems([gateProblem], keeping);
    return false;
  }

  const config = installPolicy(state, policy, env);
  current.contentHash = policy.contentHash;
  log.info(
    { policy_version: policy.version, mode: config.mode, file: current.file },
    "policy reloaded",
  );
  return true;
}

/** Version of the control plane's policy while it is in force; undefined while local settings are. */
let remoteVersion: string | undefined;

/** The outcome of applying a policy from the control plane: every problem when it was rejected. */
export type RemotePolicyResult =
  { readonly ok: true } | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Applies policy text delivered by the control plane with the steps of a file reload: validation,
 * gate settings, then one state swap. `version` (`service/environment@n`) replaces the text's own
 * `version` in events and metrics. A rejected policy leaves the running one in force.
 */
export function applyRemotePolicy(
  text: string,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
): RemotePolicyResult {
  const state = agentState();
  if (state === undefined) return { ok: false, problems: ["the agent is not started"] };

  const keeping = `control plane policy ${version} rejected; keeping policy version ${state.config.policyVersion ?? "(none)"}`;
  const result = parsePolicyText(text, version);
  if (!result.ok) {
    reportPolicyProblems(result.problems, keeping);
    return { ok: false, problems: result.problems.map(formatProblem) };
  }
  const policy: LoadedPolicy = { ...result.policy, version };

  const gateProblem = applyGate(policy);
  if (gateProblem !== undefined) {
    reportPolicyProblems([gateProblem], keeping);
    return { ok: false, problems: [formatProblem(gateProblem)] };
  }

  const config = installPolicy(state, policy, env);
  remoteVersion = version;
  log.info({ policy_version: version, mode: config.mode }, "control plane policy applied");
  return { ok: true };
}

/**
 * Returns to the local settings when the control plane assigns no policy: the policy file found at start
 * (read again, so changes made meanwhile apply) or, without a valid one, the environment alone.
 * Returns false when no control plane policy was in force.
 */
export function restoreLocalPolicy(env: NodeJS.ProcessEnv = process.env): boolean {
  const state = agentState();
  if (state === undefined || remoteVersion === undefined) return false;

  const current = running;
  const result = current === undefined ? undefined : loadPolicyFile(current.file);
  let policy = result?.ok === true ? result.policy : undefined;
  if (result?.ok === false)
    reportPolicyProblems(result.problems, "policy rejected; running on environment settings");

  const gateProblem = policy === undefined ? undefined : applyGate(policy);
  if (gateProblem !== undefined) {
    reportPolicyProblems([gateProblem], "policy rejected; running on environment settings");
    policy = undefined;
  }
  // Without a local policy, the gate settings of the control plane's policy must go too.
  if (policy === undefined) applyGateSettings({});

  const config = installPolicy(state, policy, env);
  if (current !== undefined) current.contentHash = policy?.contentHash;
  remoteVersion = undefined;
  log.info(
    { policy_version: config.policyVersion, mode: config.mode, file: current?.file ?? null },
    "control plane policy withdrawn; running on local settings",
  );
  return true;
}

/** Starts watching the policy file found at start; no-op when there is none. */
export function startPolicyWatcher(env: NodeJS.ProcessEnv = process.env): void {
  const current = running;
  if (current === undefined) return;

  current.stopWatching();
  current.stopWatching = watchPolicyFile(current.file, () => reloadPolicy(env));
}

/** Stops the watcher (tests, and agents that shut down). */
export function stopPolicyWatcher(): void {
  running?.stopWatching();
}
