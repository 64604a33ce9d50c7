import { reportInternalError } from "../failsafe";
import { drainSnapshots } from "../forensics";
import { flushTelemetry } from "../telemetry/start";

/**
 * Waits until the security events and forensic snapshots queued so far are written, or until
 * `timeoutMs` passed, whichever comes first. Lambda may freeze the process as soon as the handler
 * returns, and work left queued then runs only at the next invocation, or never. Never rejects.
 */
export async function flushSecurityEvents(timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, timeoutMs));
    timer.unref();
  });

  const work = Promise.all([flushTelemetry(), drainSnapshots()]).then(
    () => undefined,
    (error: unknown) => reportInternalError("lambda.flush", error),
  );
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
