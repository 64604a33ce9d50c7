// Calls the control plane's JSON API with the session cookie. The CSRF token from the session
// lives only in this module's memory and goes out as x-csrf-token on every write.

let csrfToken = "";

/** Called with no argument when the session ends or the server reports it missing. */
let onSignedOut = () => {};

/** An error response of the API: its HTTP status, error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export function setSignedOutHandler(handler) {
  onSignedOut = handler;
}

/** Builds a query string from the entries whose value is not empty. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** Encodes one path segment, so that ids from the server never change the path. */
export function segment(value) {
  return encodeURIComponent(String(value));
}

/** Sends a request and returns the parsed JSON body; a non-2xx status raises ApiError. */
export async function request(method, path, body) {
  const headers = { accept: "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = csrfToken;
  if (body !== undefined) headers["content-type"] = "application/json";

  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await response.text();
  let parsed = {};
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ApiError(
        response.status,
        "invalid_response",
        `the server sent no JSON (HTTP ${response.status})`,
      );
    }
  }

  if (!response.ok) {
    const error = parsed.error ?? {};
    if (response.status === 401 && path !== "/api/session") onSignedOut();
    throw new ApiError(
      response.status,
      error.code ?? "error",
      error.message ?? `HTTP ${response.status}`,
    );
  }
  return parsed;
}

export const get = (path) => request("GET", path);
export const post = (path, body = {}) => request("POST", path, body);
export const remove = (path) => request("DELETE", path);

/** Returns the signed-in username, or undefined when no session is open. */
export async function currentSession() {
  try {
    const session = await request("GET", "/api/session");
    csrfToken = session.csrf_token;
    return session.username;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function signIn(username, password) {
  const session = await request("POST", "/api/session", { username, password });
  csrfToken = session.csrf_token;
}

export async function signOut() {
  try {
    await request("DELETE", "/api/session");
  } finally {
    csrfToken = "";
  }
}
