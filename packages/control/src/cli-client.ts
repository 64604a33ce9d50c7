import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";

/** Usage of the commands that call a running control plane's API. */
export const clientUsage = `Usage: rampart control policy push FILE --url URL --service NAME --environment NAME
         [--comment TEXT] [--canary PERCENT] [--reason TEXT]
       rampart control policy list --url URL [--service NAME] [--environment NAME]

  push  stores FILE as the next policy version of the service, and with --canary starts a
        rollout to that share of its agents (100 gives it to all at once)
  list  prints the stored versions

Signs in as RAMPART_CONTROL_ADMIN (default admin) with RAMPART_CONTROL_ADMIN_PASSWORD.
`;

interface Session {
  readonly baseUrl: string;
  readonly cookie: string;
  readonly csrfToken: string;
}

class ApiError extends Error {}

async function call(
  session: Session,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {
    cookie: session.cookie,
    "x-csrf-token": session.csrfToken,
  };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${session.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = parsed.error as { message?: string } | undefined;
    throw new ApiError(
      `${method} ${path} failed with ${response.status}: ${error?.message ?? "no message"}`,
    );
  }
  return parsed;
}

async function signIn(baseUrl: string): Promise<Session> {
  const password = process.env.RAMPART_CONTROL_ADMIN_PASSWORD;
  if (password === undefined || password === "") {
    throw new ApiError("RAMPART_CONTROL_ADMIN_PASSWORD is not set; set it to the admin's password");
  }
  const response = await fetch(`${baseUrl}/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: process.env.RAMPART_CONTROL_ADMIN ?? "admin", password }),
  });
  if (!response.ok)
    throw new ApiError(
      `sign-in at ${baseUrl} failed with ${response.status}: wrong username or password?`,
    );

  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const body = (await response.json()) as { csrf_token: string };
  return { baseUrl, cookie, csrfToken: body.csrf_token };
}

function baseUrlOf(value: string | undefined): string {
  if (value === undefined)
    throw new ApiError(
      "--url is required: the control plane's address, such as http://127.0.0.1:7400",
    );
  try {
    return new URL(value).origin;
  } catch {
    throw new ApiError(`--url: invalid URL "${value}"`);
  }
}

async function push(
  values: Record<string, string | undefined>,
  file: string | undefined,
): Promise<string> {
  if (file === undefined) throw new ApiError("policy push needs the policy file");
  const session = await signIn(baseUrlOf(values.url));
  const content = await readFile(file, "utf8");
  const policy = await call(session, "POST", "/api/policies", {
    service: values.service,
    environment: values.environment,
    content,
    comment: values.comment ?? `pushed from ${file}`,
  });
  let text = `stored ${String(policy.service)}/${String(policy.environment)}@${String(policy.version)} (id ${String(policy.id)})\n`;

  if (values.canary !== undefined) {
    const rollout = await call(session, "POST", "/api/rollouts", {
      policy_id: policy.id,
      canary_percent: Number(values.canary),
      reason: values.reason ?? values.comment ?? `pushed from ${file}`,
    });
    text += `rollout ${String(rollout.id)}: ${String(rollout.state)} at ${String(rollout.canary_percent)}%\n`;
  }
  return text;
}

async function list(values: Record<string, string | undefined>): Promise<string> {
  const session = await signIn(baseUrlOf(values.url));
  const query = new URLSearchParams();
  if (values.service !== undefined) query.set("service", values.service);
  if (values.environment !== undefined) query.set("environment", values.environment);
  const result = await call(session, "GET", `/api/policies?${query.toString()}`);
  const rows =
    (result.policies as {
      service: string;
      environment: string;
      version: number;
      created_by: string;
      comment: string;
    }[]) ?? [];
  return (
    rows
      .map(
        (row) =>
          `${row.service}/${row.environment}@${row.version}\t${row.created_by}\t${row.comment}`,
      )
      .join("\n") + "\n"
  );
}

/** Runs `policy push` or `policy list` against a running control plane; resolves with the exit code. */
export async function runClientCommand(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: "string" },
        service: { type: "string" },
        environment: { type: "string" },
        comment: { type: "string" },
        canary: { type: "string" },
        reason: { type: "string" },
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${clientUsage}`);
    return 2;
  }

  const [group, action, file] = parsed.positionals;
  if (group !== "policy" || (action !== "push" && action !== "list")) {
    io.stderr.write(clientUsage);
    return 2;
  }
  try {
    io.stdout.write(
      action === "push" ? await push(parsed.values, file) : await list(parsed.values),
    );
    return 0;
  } catch (error) {
    io.stderr.write(`rampart control ${action}: ${(error as Error).message}\n`);
    return 1;
  }
}
