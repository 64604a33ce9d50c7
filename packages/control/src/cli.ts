import { parseArgs } from "node:util";

import { ensureFirstAdmin, resetAdminPassword } from "./auth/sessions";
import { runClientCommand } from "./cli-client";
import { defaultRetentionDays } from "./events/retention";
import { log } from "./log";
import { startServer, type ControlPlane } from "./server";
import { isPostgresUrl, type Database } from "./store/database";
import { openDatabase } from "./store/open";

/** Default port of the control plane: unassigned by IANA and unlikely to clash with an app. */
export const defaultPort = 7400;
export const defaultDatabase = ".rampart/control.db";

const usage = `Usage: rampart control [--port N] [--host ADDRESS] [--database PATH|URL] [--retention-days N]
       rampart control --reset-admin-password [--database PATH|URL]

  --port                  port to listen on (default ${defaultPort}; 0 picks a free port)
  --host                  address to listen on (default 127.0.0.1; use 0.0.0.0 behind a TLS proxy)
  --database              SQLite file (default ${defaultDatabase}) or postgres://user@host/db URL
  --retention-days        days to keep events (default ${defaultRetentionDays})
  --reset-admin-password  give the admin a new password (generated and printed once, or taken from
                          RAMPART_CONTROL_ADMIN_PASSWORD), end the admin's sessions, and exit

To push a policy to a running control plane: rampart control policy push|list (--help there).

Environment:
  RAMPART_CONTROL_ADMIN           first admin's username (default admin)
  RAMPART_CONTROL_ADMIN_PASSWORD  first admin's password; without it one is generated and printed once
`;

/** Hides the user and password of a database URL in messages. */
function maskCredentials(database: string): string {
  return database.replace(/\/\/[^@/]*@/, "//***@");
}

/** Gives the admin `username` a new password and prints it; resolves with the exit code. */
async function resetPassword(
  db: Database,
  username: string,
  chosenPassword: string | undefined,
): Promise<number> {
  try {
    const reset = await resetAdminPassword(db, username, chosenPassword);
    if (reset === undefined) {
      process.stderr.write(
        `no admin named "${username}" in this database. Set RAMPART_CONTROL_ADMIN to the admin's name, or start the control plane once to create the first admin.\n`,
      );
      return 1;
    }
    process.stdout.write(
      reset.password === undefined
        ? `Password of "${username}" set from RAMPART_CONTROL_ADMIN_PASSWORD; its sessions ended\n`
        : `New password of "${username}": "${reset.password}" (shown once: store it now); its sessions ended\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

/** Runs the control plane until SIGINT or SIGTERM. Resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "policy") return runClientCommand(argv, process);

  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        port: { type: "string" },
        host: { type: "string" },
        database: { type: "string" },
        "retention-days": { type: "string" },
        "reset-admin-password": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(usage);
    return 0;
  }

  const port = Number(values.port ?? defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port: expected an integer from 0 to 65535, got "${values.port}"\n`);
    return 2;
  }
  const host = values.host ?? "127.0.0.1";
  const database = values.database ?? defaultDatabase;
  const retentionDays = Number(values["retention-days"] ?? defaultRetentionDays);
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
    process.stderr.write(
      `--retention-days: expected a positive number, got "${values["retention-days"]}"\n`,
    );
    return 2;
  }

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(database) && !isPostgresUrl(database)) {
    process.stderr.write(
      `--database: unsupported URL "${maskCredentials(database)}"; expected a postgres:// URL or a SQLite file path\n`,
    );
    return 2;
  }

  let db: Database;
  try {
    db = await openDatabase(database);
  } catch (error) {
    process.stderr.write(
      `failed to open the database ${maskCredentials(database)}: ${(error as Error).message}. ` +
        "Check that the file path is writable, or that the PostgreSQL server runs and the database exists.\n",
    );
    return 1;
  }

  const username = process.env.RAMPART_CONTROL_ADMIN ?? "admin";
  const chosenPassword = process.env.RAMPART_CONTROL_ADMIN_PASSWORD || undefined;
  if (values["reset-admin-password"] === true) {
    return resetPassword(db, username, chosenPassword);
  }

  let plane: ControlPlane;
  try {
    plane = await startServer(db, { port, host, retentionDays });
  } catch (error) {
    await db.close();
    process.stderr.write(
      `failed to listen on ${host}:${port}: ${(error as Error).message}. Choose another --port or --host.\n`,
    );
    return 1;
  }

  // The first admin is created once the server listens, so that a start that fails earlier stores
  // no generated password that was never printed.
  const admin = await ensureFirstAdmin(db, username, chosenPassword);
  if (!admin.created && chosenPassword !== undefined) {
    log.warn(
      {},
      "RAMPART_CONTROL_ADMIN_PASSWORD ignored: it only sets the first admin's password on a new database (use --reset-admin-password to change it)",
    );
  }

  process.stdout.write(`Rampart control plane listening on ${plane.url}\n`);
  if (admin.password !== undefined) {
    process.stdout.write(
      `First sign-in: user "${username}", password "${admin.password}" (shown once: store it now)\n`,
    );
  } else if (admin.created) {
    process.stdout.write(
      `First sign-in: user "${username}" with the password from RAMPART_CONTROL_ADMIN_PASSWORD\n`,
    );
  }
  log.info({ url: plane.url, database: maskCredentials(database) }, "control plane started");

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await plane.close();
  await db.close();
  return 0;
}
