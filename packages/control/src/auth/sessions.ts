import type { IncomingMessage, ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";

import type { Database } from "../store/database";
import { HttpError } from "../http/errors";
import { readCookies } from "../http/request";
import { hashPassword, verifyPassword } from "./password";
import { audit } from "../audit";
import { hashSecret, newId, newSecret } from "./tokens";

export const sessionCookie = "rampart_session";
/** Sessions last 12 hours, then the admin signs in again. */
export const sessionLifetimeMs = 12 * 60 * 60 * 1000;

/** The signed-in admin of a request. */
export interface AdminSession {
  readonly adminId: string;
  readonly username: string;
  readonly csrfToken: string;
}

/**
 * Creates the first admin when there is none. The password comes from `password`, else a random
 * one is generated and returned so that the caller can print it once.
 */
export async function ensureFirstAdmin(
  db: Database,
  username: string,
  password: string | undefined,
): Promise<{ created: boolean; password?: string }> {
  const existing = await db.get("SELECT id FROM admins LIMIT 1");
  if (existing !== undefined) return { created: false };

  const chosen = password ?? newSecret().slice(0, 20);
  await db.run("INSERT INTO admins (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)", [
    newId(),
    username,
    await hashPassword(chosen),
    Date.now(),
  ]);
  return password === undefined ? { created: true, password: chosen } : { created: true };
}

/**
 * Sets a new password for the admin `username` (generated when `password` is undefined), ends that
 * admin's sessions and audits the change. Returns undefined when no admin has that name.
 */
export async function resetAdminPassword(
  db: Database,
  username: string,
  password: string | undefined,
): Promise<{ password?: string } | undefined> {
  const admin = await db.get<{ id: string }>("SELECT id FROM admins WHERE username = ?", [
    username,
  ]);
  if (admin === undefined) return undefined;

  const chosen = password ?? newSecret().slice(0, 20);
  const passwordHash = await hashPassword(chosen);
  await db.transaction(async (tx) => {
    await tx.run("UPDATE admins SET password_hash = ? WHERE id = ?", [passwordHash, admin.id]);
    await tx.run("DELETE FROM sessions WHERE admin_id = ?", [admin.id]);
    await audit(tx, {
      actor: "cli",
      action: "admin.password_reset",
      target: username,
      reason: "rampart control --reset-admin-password",
    });
  });
  return password === undefined ? { password: chosen } : {};
}

/** Checks a username and password; on success stores a session and returns its cookie value and CSRF token. */
export async function signIn(
  db: Database,
  username: string,
  password: string,
): Promise<{ token: string; csrfToken: string; expiresAt: number } | undefined> {
  const admin = await db.get<{ id: string; password_hash: string }>(
    "SELECT id, password_hash FROM admins WHERE username = ?",
    [username],
  );
  // An unknown name still costs one hash, so response time does not reveal which names exist.
  const valid = await verifyPassword(password, admin?.password_hash ?? unknownUserHash);
  if (admin === undefined || !valid) return undefined;

  const token = newSecret();
  const csrfToken = newSecret();
  const now = Date.now();
  const expiresAt = now + sessionLifetimeMs;
  await db.run(
    "INSERT INTO sessions (token_hash, admin_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    [hashSecret(token), admin.id, csrfToken, now, expiresAt],
  );
  await db.run("DELETE FROM sessions WHERE expires_at < ?", [now]);
  return { token, csrfToken, expiresAt };
}

// A valid hash of a random password, checked when the username does not exist.
const unknownUserHash =
  "scrypt$32768$8$1$3q2-7wAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export async function signOut(db: Database, req: IncomingMessage): Promise<void> {
  const token = readCookies(req).get(sessionCookie);
  if (token !== undefined)
    await db.run("DELETE FROM sessions WHERE token_hash = ?", [hashSecret(token)]);
}

/** Returns the session of the request's cookie, or undefined when there is none or it expired. */
export async function sessionOf(
  db: Database,
  req: IncomingMessage,
): Promise<AdminSession | undefined> {
  const token = readCookies(req).get(sessionCookie);
  if (token === undefined) return undefined;

  const row = await db.get<{
    admin_id: string;
    username: string;
    csrf_token: string;
    expires_at: number;
  }>(
    `SELECT s.admin_id, a.username, s.csrf_token, s.expires_at
       FROM sessions s JOIN admins a ON a.id = s.admin_id
      WHERE s.token_hash = ?`,
    [hashSecret(token)],
  );
  if (row === undefined || Number(row.expires_at) < Date.now()) return undefined;
  return { adminId: row.admin_id, username: row.username, csrfToken: row.csrf_token };
}

const unsafeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Requires a signed-in admin, and for writes the session's CSRF token in the `x-csrf-token`
 * header. The cookie is SameSite=Strict as well; the token also covers older browsers.
 */
export async function requireAdmin(db: Database, req: IncomingMessage): Promise<AdminSession> {
  const session = await sessionOf(db, req);
  if (session === undefined) throw new HttpError(401, "unauthenticated", "sign in first");

  if (unsafeMethods.has(req.method ?? "GET")) {
    const sent = req.headers["x-csrf-token"];
    if (typeof sent !== "string" || !sameSecret(sent, session.csrfToken)) {
      throw new HttpError(403, "csrf", "missing or wrong x-csrf-token header");
    }
  }
  return session;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Strict and Secure. Browsers accept Secure cookies
 * from http://127.0.0.1 and http://localhost, so the default local address works without TLS.
 */
export function setSessionCookie(res: ServerResponse, token: string, expiresAt: number): void {
  res.setHeader(
    "set-cookie",
    `${sessionCookie}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Expires=${new Date(expiresAt).toUTCString()}`,
  );
}

export function clearSessionCookie(res: ServerResponse): void {
  res.setHeader(
    "set-cookie",
    `${sessionCookie}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`,
  );
}
