import type { AgentConfig } from "../config";
import { agentInfo } from "../telemetry/prometheus";

const cache = new WeakMap<AgentConfig, string>();

/**
 * Returns the policy version of a configuration, computed once per configuration object. It is
 * the `policy_version` label of `rampart_agent_info`, so snapshots and metrics can be matched.
 * With a policy file it is the file's version: its `version` key or content hash. Without one it
 * is a hash of the whole effective configuration, so output settings change it too.
 */
export function policyVersion(config: AgentConfig): string {
  let version = cache.get(config);
  if (version === undefined) {
    version = agentInfo(config).policy_version;
    cache.set(config, version);
  }
  return version;
}
