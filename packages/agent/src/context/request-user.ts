import type { IncomingMessage } from "node:http";

/** The user that the app named for a request, as stored: the id as a string. */
export interface RequestUser {
  readonly id: string;
  readonly name: string | undefined;
}

const usersByRequest = new WeakMap<IncomingMessage, RequestUser>();

/** Remembers the signed-in user of a request; events of the request name it. */
export function rememberRequestUser(req: IncomingMessage, user: RequestUser): void {
  usersByRequest.set(req, user);
}

/** Returns the user that the app set on this request, if any. */
export function userOfRequest(req: IncomingMessage): RequestUser | undefined {
  return usersByRequest.get(req);
}
