import path from "node:path";

import { agentCodeDir } from "../agent-dir";

/** Most application frames kept in an event. */
const maxFrames = 10;

/** Frames captured to find them: agent, framework and driver frames come first. */
const capturedFrames = 50;

const agentDir = agentCodeDir;
const packagesDir = `${path.sep}node_modules${path.sep}`;

/** True for a frame of the application: not Node.js itself, a package, the agent or eval'd code. */
function isApplicationFile(fileName: string | undefined): fileName is string {
  return (
    fileName !== undefined &&
    !fileName.startsWith("node:") &&
    !fileName.includes(packagesDir) &&
    !fileName.startsWith(agentDir) &&
    !fileName.startsWith(`file://${agentDir}`)
  );
}

function formatFrame(site: NodeJS.CallSite, fileName: string): string {
  const location = `${fileName}:${site.getLineNumber() ?? 0}:${site.getColumnNumber() ?? 0}`;
  const name = site.getFunctionName();
  return name === null ? `at ${location}` : `at ${name} (${location})`;
}

/**
 * Keeps the application's frames as V8 call sites and formats only those. Formatting all 50
 * captured frames as text and filtering the lines cost several times more, on every event.
 */
function applicationFrames(_error: Error, sites: NodeJS.CallSite[]): string[] {
  const frames: string[] = [];
  for (const site of sites) {
    const fileName = site.getFileName() ?? undefined;
    if (!isApplicationFile(fileName)) continue;

    frames.push(formatFrame(site, fileName));
    if (frames.length === maxFrames) break;
  }
  return frames;
}

/** Returns the caller's stack frames that belong to the application: no Node internals, packages or agent. */
export function applicationStack(): string[] {
  const holder: { stack?: unknown } = {};
  const previousLimit = Error.stackTraceLimit;
  const previousPrepare = Error.prepareStackTrace;
  Error.stackTraceLimit = capturedFrames;
  Error.prepareStackTrace = applicationFrames;
  try {
    Error.captureStackTrace(holder, applicationStack);
    // Reading `stack` runs the formatter while it is installed.
    const frames = holder.stack;
    return Array.isArray(frames) ? (frames as string[]) : [];
  } finally {
    Error.stackTraceLimit = previousLimit;
    Error.prepareStackTrace = previousPrepare;
  }
}
