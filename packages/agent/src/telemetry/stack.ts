import path from "node:path";

/** Most application frames kept in an event. */
const maxFrames = 10;

const agentDir = path.resolve(__dirname, "..");

function isApplicationFrame(frame: string): boolean {
  return (
    !frame.includes("node:") &&
    !frame.includes(`${path.sep}node_modules${path.sep}`) &&
    !frame.includes(agentDir) &&
    !frame.includes("(<anonymous>)")
  );
}

/** Returns the caller's stack frames that belong to the application: no Node internals, packages or agent. */
export function applicationStack(): string[] {
  const holder: { stack?: string } = {};
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  Error.captureStackTrace(holder, applicationStack);
  Error.stackTraceLimit = previousLimit;

  return (holder.stack ?? "")
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter(isApplicationFrame)
    .slice(0, maxFrames);
}
