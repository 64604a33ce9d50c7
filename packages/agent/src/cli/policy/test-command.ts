import { readConfig } from "../../config";
import { compilePolicy, type RequestFacts } from "../../policy/compiled";
import { decide, type Decision } from "../../policy/decision";
import { formatProblem, loadPolicyFile } from "../../policy/load";
import { exitCodes, type CliIo } from "../io";
import { readCases } from "./case-file";
import { caseUrl, detectCase, replayRequest, sinkAttackTypes, type PolicyCase } from "./replay";

function factsOf(testCase: PolicyCase): RequestFacts {
  const path = testCase.path;
  return {
    routeOrPath: () => testCase.route ?? path,
    method: () => testCase.method ?? "GET",
    clientIp: () => testCase.clientIp ?? "127.0.0.1",
  };
}

function caseLabel(testCase: PolicyCase, index: number): string {
  return testCase.name ?? `${testCase.method ?? "GET"} ${caseUrl(testCase)} (case ${index + 1})`;
}

/**
 * `rampart policy test FILE CASES`: replays each case through the real detector of its sink and
 * the policy's decision logic, then compares the decision with `expect`. The file's settings are
 * used without environment overrides, with every request inspected (no sampling) and the canary
 * off, so a case gets the decision of the policy at 100%.
 */
export function testPolicy(policyFile: string, casesFile: string, io: CliIo): number {
  const loaded = loadPolicyFile(policyFile);
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.stderr.write(`${formatProblem(problem)}\n`);
    return exitCodes.failed;
  }

  const { policy } = loaded;
  const { config } = readConfig({}, policy);
  const decisions = compilePolicy(policy.document, policy.version, {});
  const cases = readCases(casesFile);

  let failures = 0;
  cases.forEach((testCase, index) => {
    const attackType = sinkAttackTypes[testCase.sink];
    const finding = detectCase(testCase, replayRequest(testCase));
    const decision: Decision =
      finding === undefined
        ? "allowed"
        : decide(config, decisions, attackType, finding.input?.path, factsOf(testCase), {
            canary: false,
          });

    const detail =
      finding === undefined
        ? "no finding"
        : `${attackType} at ${finding.input?.path ?? "(no input)"}: ${finding.reason}`;
    const passed = decision === testCase.expect;
    if (!passed) failures++;

    const status = passed ? "ok  " : "FAIL";
    const expected = passed ? "" : ` (expected ${testCase.expect})`;
    io.stdout.write(`${status} ${caseLabel(testCase, index)}: ${decision}${expected}; ${detail}\n`);
  });

  io.stdout.write(
    `${cases.length - failures} of ${cases.length} cases passed (policy version ${policy.version})\n`,
  );
  return failures === 0 ? exitCodes.ok : exitCodes.failed;
}
