import { createHash, randomBytes, randomUUID } from "node:crypto";

/** Creates a secret for a session or an agent token: 32 random bytes, base64url. */
export function newSecret(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** Secrets are stored as their SHA-256 only: a copy of the database does not reveal them. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function newId(): string {
  return randomUUID();
}
