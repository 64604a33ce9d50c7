import type crypto from "node:crypto";

/*
 * Built-in modules that the agent loads on first use. Loading them costs a process start
 * milliseconds of CPU (node:crypto about 2 ms), which counts in a serverless cold start, and
 * many processes (a Lambda function that never logs an event) need them late or never.
 */

let cryptoModule: typeof crypto | undefined;

/** node:crypto, loaded on the first call. */
export function nodeCrypto(): typeof crypto {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cryptoModule ??= require("node:crypto") as typeof crypto;
  return cryptoModule;
}
