/** Error sent to the client with its status and a JSON body `{ error: { code, message } }`. */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpError =>
  new HttpError(400, "bad_request", message);
export const notFound = (message = "not found"): HttpError =>
  new HttpError(404, "not_found", message);
export const conflict = (message: string): HttpError => new HttpError(409, "conflict", message);
