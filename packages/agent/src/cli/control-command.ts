import { createRequire } from "node:module";
import path from "node:path";

import { agentCodeDir } from "../agent-dir";
import { CliError, exitCodes, type Command } from "./io";

interface ControlPackage {
  main(argv: readonly string[]): Promise<number>;
}

/**
 * `rampart control`: starts the self-hosted control plane from the `@rampart/control` package.
 * It is a separate package so that apps that only load the agent do not install a database driver.
 */
export const controlCommand: Command = {
  name: "control",
  summary: "start the control plane and dashboard (@rampart/control)",
  usage: "rampart control [--port N] [--host ADDRESS] [--database PATH|URL]",
  async run(args) {
    let control: ControlPackage;
    try {
      // A variable name keeps TypeScript from resolving the optional package at build time.
      const packageName = "@rampart/control";
      control = (await import(packageName)) as ControlPackage;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "MODULE_NOT_FOUND" && code !== "ERR_MODULE_NOT_FOUND") throw error;
      // In a clone of the repository the package is there but its dist folder is not built yet.
      const message = isInstalled("@rampart/control")
        ? "the control plane package @rampart/control is installed but not built: run `npm run build` at the root of the Rampart repository (or `npm run control`, which builds first)"
        : "the control plane is a separate package: install it with `npm install @rampart/control`";
      throw new CliError(message, exitCodes.failed);
    }
    return control.main(args);
  },
};

/** True when `name`'s package.json resolves from the agent's folder, as its import does, built or not. */
export function isInstalled(name: string): boolean {
  try {
    createRequire(path.join(agentCodeDir, "index.js")).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}
