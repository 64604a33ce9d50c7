/** Stable codes of the errors that Rampart raises; docs/errors.md documents each one. */
export const errorCodes = {
  blocked: "RAMPART_ERR_BLOCKED",
  invalidConfig: "RAMPART_ERR_INVALID_CONFIG",
  eventsUnwritable: "RAMPART_ERR_EVENTS_UNWRITABLE",
} as const;

export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

/** Base class of Rampart's errors: each carries a stable `code`. */
export class RampartError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RampartError";
    this.code = code;
  }
}

/** Details of a blocked operation, copied onto the error so that apps can log or branch on them. */
export interface BlockDetails {
  readonly eventId: string;
  readonly attackType: string;
  readonly sink: string;
  readonly inputPath: string;
}

/**
 * Thrown (or passed to the callback, or used to reject the promise) by a sink call that Rampart
 * stopped before the operation ran. The agent then sends 403 as the HTTP response.
 */
export class RampartBlockedError extends RampartError {
  readonly eventId: string;
  readonly attackType: string;
  readonly sink: string;
  readonly inputPath: string;

  constructor(details: BlockDetails) {
    super(
      errorCodes.blocked,
      `Rampart blocked ${details.attackType} at ${details.sink} from ${details.inputPath} (event ${details.eventId})`,
    );
    this.name = "RampartBlockedError";
    this.eventId = details.eventId;
    this.attackType = details.attackType;
    this.sink = details.sink;
    this.inputPath = details.inputPath;
  }
}
