import { findPolicyFile } from "../../policy/load";
import { policySchema } from "../../policy/schema";
import { CliError, exitCodes, type CliIo, type Command } from "../io";
import { explainPolicy } from "./explain-command";
import { testPolicy } from "./test-command";
import { validatePolicy } from "./validate-command";

const usage = `Usage:
  rampart policy validate FILE        check a policy file; lists every problem with its line
  rampart policy test FILE CASES      replay request cases (YAML or JSON) through the detectors
                                      and the policy; compares each decision with its expect
  rampart policy explain [FILE]       print the effective settings and where each comes from;
                                      FILE defaults to RAMPART_POLICY or ./rampart.policy.yaml
  rampart policy schema               print the policy's JSON Schema

Exit status: 0 success, 1 invalid policy or failed cases, 2 invalid usage.
See docs/policy.md.
`;

function requireArguments(args: readonly string[], count: number, subcommand: string): void {
  if (args.length !== count)
    throw new CliError(
      `${subcommand} expects ${count} argument(s), got ${args.length}`,
      exitCodes.usage,
    );
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case "validate":
      requireArguments(rest, 1, "validate");
      return validatePolicy(rest[0]!, io);
    case "test":
      requireArguments(rest, 2, "test");
      return testPolicy(rest[0]!, rest[1]!, io);
    case "explain": {
      if (rest.length > 1) requireArguments(rest, 1, "explain");
      const file = rest[0] ?? findPolicyFile(process.env, process.cwd());
      return explainPolicy(file, io, process.env);
    }
    case "schema":
      requireArguments(rest, 0, "schema");
      io.stdout.write(`${JSON.stringify(policySchema(), null, 2)}\n`);
      return exitCodes.ok;
    case "--help":
    case "-h":
    case "help":
      io.stdout.write(usage);
      return exitCodes.ok;
    default:
      throw new CliError(
        subcommand === undefined ? "missing subcommand" : `unknown subcommand "${subcommand}"`,
        exitCodes.usage,
      );
  }
}

/** `rampart policy`: validate, test and explain policy files. */
export const policyCommand: Command = {
  name: "policy",
  summary: "validate, test and explain a policy file",
  usage,
  run,
};
