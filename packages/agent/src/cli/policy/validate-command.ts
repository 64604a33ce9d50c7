import { formatProblem, loadPolicyFile } from "../../policy/load";
import { exitCodes, type CliIo } from "../io";

/** `rampart policy validate FILE`: prints the version, or every problem with its line. */
export function validatePolicy(file: string, io: CliIo): number {
  const result = loadPolicyFile(file);
  if (!result.ok) {
    for (const problem of result.problems) io.stderr.write(`${formatProblem(problem)}\n`);
    io.stderr.write(`${file}: invalid policy (${result.problems.length} problem(s))\n`);
    return exitCodes.failed;
  }

  io.stdout.write(`${file}: valid policy, version ${result.policy.version}\n`);
  return exitCodes.ok;
}
