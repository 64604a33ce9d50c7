/** The callback that AWS Lambda passes as the third argument of a handler. */
export type LambdaCallback = (error?: unknown, result?: unknown) => void;

/** Any Lambda handler: async (returns a promise) or callback-style (calls its third argument). */
export type LambdaHandler<TEvent = unknown, TResult = unknown> = (
  event: TEvent,
  context: unknown,
  callback: LambdaCallback,
) => void | TResult | Promise<TResult>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Calls a handler of either style and settles with its outcome: the promise it returns, or the
 * first call of its callback, whichever comes first. A handler that declares fewer than three
 * parameters and returns a plain value settles with that value. A synchronous throw rejects.
 */
export function runHandler(
  handler: LambdaHandler,
  event: unknown,
  lambdaContext: unknown,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, result: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };

    const callback: LambdaCallback = (error, result) => settle(error, result);
    const returned = handler(event, lambdaContext, callback);

    if (isThenable(returned)) {
      returned.then(
        (result) => settle(undefined, result),
        (error: unknown) => settle(error ?? new Error("the handler's promise rejected"), undefined),
      );
    } else if (handler.length < 3) {
      settle(undefined, returned);
    }
  });
}
