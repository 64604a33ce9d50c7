import { startAgent } from "./agent";
import type { AgentConfig } from "./config";

export type { AgentConfig, EventsTarget, Mode } from "./config";
export type { InputSource, UserInput } from "./detectors/types";
export {
  RampartBlockedError,
  RampartError,
  errorCodes,
  type BlockDetails,
  type ErrorCode,
} from "./errors";
export type { SecurityEvent } from "./telemetry/security-event";
export { setUser, type User } from "./gate/set-user";
export { instrumentedModuleNames } from "./sinks";
export { checkPolicyText, type PolicyCheck } from "./policy/validate-text";
export { agentVersion as version } from "./version";

/**
 * Starts protecting the process. Call it before the app loads any database driver or web
 * framework: in CommonJS as the first `require`, in ESM prefer `--import rampart/register`,
 * because static imports are evaluated before any code of the importing module runs.
 */
export function protect(): AgentConfig {
  return startAgent();
}
