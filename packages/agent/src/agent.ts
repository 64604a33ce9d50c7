import { readConfig, type AgentConfig } from "./config";
import { readControlSettings } from "./control/control-config";
import { errorCodes } from "./errors";
import { agentState } from "./guard/agent-state";
import { startSnapshots } from "./forensics";
import { hardenBuiltinPrototypes } from "./hardening/freeze-prototypes";
import { detectBundledPackages } from "./instrument/bundle-detection";
import { hookModules } from "./instrument/module-hooks";
import { log, setLogLevel } from "./log";
import { loadStartupPolicy, startPolicyWatcher } from "./policy/runtime";
import { handleUnhandledBlocks } from "./response/block-response";
import { deferredBuiltins, installRuntimeHooks } from "./instrument/runtime-hooks";
import { instrumentations, runtimeInstrumentations } from "./sinks";
import { instrumentFastify } from "./sources/fastify";
import { startTelemetry } from "./telemetry/start";
import { agentVersion } from "./version";

/** Loads the control-plane client, which only an agent with RAMPART_CONTROL_URL set uses. */
function controlModule(): typeof import("./control/start-control") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("./control/start-control") as typeof import("./control/start-control");
}

function reportConfigProblems(problems: ReturnType<typeof readConfig>["problems"]): void {
  for (const problem of problems) {
    log.error(
      { code: errorCodes.invalidConfig, ...problem },
      `invalid ${problem.variable}; expected ${problem.expected}, using ${problem.fallback}`,
    );
  }
}

/**
 * Starts the agent once per process: reads the configuration, opens the event log and installs
 * the request sources and sinks. Later calls return the running configuration unchanged.
 */
export function startAgent(): AgentConfig {
  const running = agentState();
  if (running !== undefined) return running.config;

  // Installs the agent state: the policy file's settings with environment overrides.
  const { config, problems, file } = loadStartupPolicy();
  setLogLevel(config.logLevel);
  reportConfigProblems(problems);
  const control = readControlSettings(process.env);
  reportConfigProblems(control.problems);
  const connection =
    control.settings === undefined
      ? undefined
      : controlModule().createControlConnection(control.settings);

  const telemetry = startTelemetry(config, connection === undefined ? [] : [connection.exporter]);
  instrumentFastify();
  installRuntimeHooks(runtimeInstrumentations);
  hookModules(instrumentations, deferredBuiltins());
  detectBundledPackages();
  handleUnhandledBlocks();
  startSnapshots();
  const hardening = config.freezePrototypes ?? "off";
  if (hardening !== "off") hardenBuiltinPrototypes(hardening);

  startPolicyWatcher();
  connection?.start();

  log.info(
    {
      version: agentVersion,
      mode: config.mode,
      policy_version: config.policyVersion,
      policy_file: file ?? null,
      events: telemetry.events,
      exporters: telemetry.exporters,
      control_url: control.settings?.baseUrl.origin ?? null,
    },
    "agent started",
  );
  return config;
}
