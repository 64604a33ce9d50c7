/** The user that the app named for a request, as stored: the id as a string. */
export interface RequestUser {
  readonly id: string;
  readonly name: string | undefined;
}

/** Keyed by the request object that the request context was created for. */
const usersByRequest = new WeakMap<object, RequestUser>();

/** Remembers the signed-in user of a request; events of the request name it. */
export function rememberRequestUser(req: object, user: RequestUser): void {
  usersByRequest.set(req, user);
}

/** Returns the user that the app set on this request, if any. */
export function userOfRequest(req: object): RequestUser | undefined {
  return usersByRequest.get(req);
}
