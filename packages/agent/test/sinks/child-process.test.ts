import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { detectShellInjection } from "../../src/detectors/shell";
import { startApp, type RunningApp, type SecurityEvent } from "../helpers/app-process";
import { corpusSkipReason, loadCorpus } from "../helpers/corpus";
import { eventSchemaErrors } from "../helpers/event-schema";
import { HttpClient, withQuery } from "../helpers/http-client";

/** A fixture route, the sink it reaches and how a blocked call's error reaches the app. */
interface RouteCase {
  readonly path: string;
  readonly sink: string;
  readonly via: "callback" | "rejection" | "throw" | "error-event" | "result-error";
}

/** Routes that run a shell command line built from `name`; each writes a marker file when it runs. */
const shellRoutes: readonly RouteCase[] = [
  { path: "/exec", sink: "child_process.exec", via: "callback" },
  { path: "/exec-options", sink: "child_process.exec", via: "callback" },
  { path: "/exec-promisified", sink: "child_process.exec", via: "rejection" },
  { path: "/exec-file-promisified", sink: "child_process.execFile", via: "rejection" },
  { path: "/exec-sync", sink: "child_process.execSync", via: "throw" },
  { path: "/exec-file-shell", sink: "child_process.execFile", via: "callback" },
  { path: "/exec-file-sh-c", sink: "child_process.execFile", via: "callback" },
  { path: "/exec-file-sync-shell", sink: "child_process.execFileSync", via: "throw" },
  { path: "/exec-file-sync-bash-c", sink: "child_process.execFileSync", via: "throw" },
  { path: "/spawn-shell", sink: "child_process.spawn", via: "error-event" },
  { path: "/spawn-sh-c", sink: "child_process.spawn", via: "error-event" },
  { path: "/spawn-sync-shell", sink: "child_process.spawnSync", via: "result-error" },
];

/** Routes that run a program without a shell, `name` being one argument. */
const argumentRoutes: readonly RouteCase[] = [
  { path: "/exec-file-args", sink: "child_process.execFile", via: "callback" },
  { path: "/exec-file-sync-args", sink: "child_process.execFileSync", via: "throw" },
  { path: "/spawn-args", sink: "child_process.spawn", via: "error-event" },
  { path: "/spawn-sync-args", sink: "child_process.spawnSync", via: "result-error" },
];

interface ChildProcessApp {
  readonly app: RunningApp;
  readonly client: HttpClient;
  readonly markerDir: string;
}

function markers(markerDir: string): string[] {
  return readdirSync(markerDir);
}

/** Starts a fixture app with its own marker directory; stopped by the suite's `after`. */
function useApp(
  script: string,
  mode: "block" | "monitor",
  env: Record<string, string> = {},
): { current: ChildProcessApp } {
  const holder = {} as { current: ChildProcessApp };
  before(async () => {
    const markerDir = mkdtempSync(path.join(tmpdir(), "rampart-markers-"));
    const loader = script.endsWith(".mjs") ? "import" : "require";
    const app = await startApp({ script, loader, mode, env: { MARKER_DIR: markerDir, ...env } });
    holder.current = { app, client: new HttpClient(app.url), markerDir };
  });
  after(async () => {
    holder.current.client.close();
    await holder.current.app.stop();
    rmSync(holder.current.markerDir, { recursive: true, force: true });
  });
  return holder;
}

/** Sends a request that must be blocked; returns its event after checking that nothing ran. */
async function assertBlocked(
  current: ChildProcessApp,
  route: RouteCase,
  value: string,
): Promise<SecurityEvent> {
  const before = markers(current.markerDir).length;
  const response = await current.client.get(withQuery(route.path, [["name", value]]));
  assert.equal(response.status, 403, `${route.path}: ${response.body}`);

  const eventId = (JSON.parse(response.body) as { event_id: string }).event_id;
  const event = await current.app.waitForEvent(eventId);
  assert.ok(event !== undefined, `no event ${eventId}`);
  assert.deepEqual(eventSchemaErrors(event), []);
  assert.equal(event.sink, route.sink);
  assert.equal(event.action, "blocked");
  assert.equal(event.input.path, "query.name");
  assert.equal(markers(current.markerDir).length, before, `${route.path} ran a command`);
  return event;
}

/** Sends a benign request; checks the command's real output and its marker file. */
async function assertRuns(
  current: ChildProcessApp,
  route: RouteCase,
  value: string,
  output = value,
) {
  const before = markers(current.markerDir).length;
  const response = await current.client.get(withQuery(route.path, [["name", value]]));
  assert.equal(response.status, 200, `${route.path}: ${response.body}`);
  assert.equal(response.body.trim(), output);
  assert.equal(markers(current.markerDir).length, before + 1, `${route.path} wrote no marker`);
}

async function lastError(current: ChildProcessApp, route: RouteCase) {
  const response = await current.client.get("/errors");
  return (
    JSON.parse(response.body) as Record<string, { via: string; sameTick: boolean; name: string }>
  )[route.path];
}

/** The block-mode checks that every fixture app must pass, CommonJS or ES module. */
function describeBlockMode(script: string) {
  describe(`${script} block mode`, () => {
    const holder = useApp(script, "block");

    for (const route of shellRoutes) {
      test(`${route.path} benign runs`, async () => {
        await assertRuns(holder.current, route, "hello-world.txt");
      });

      test(`${route.path} injection blocked`, async () => {
        const current = holder.current;
        const event = await assertBlocked(current, route, `x; touch ${current.markerDir}/pwned`);
        assert.equal(event.attack_type, "shell_injection");
        assert.equal(event.reason, "command-separator");

        const error = await lastError(current, route);
        assert.equal(error?.name, "RampartBlockedError");
        assert.equal(error?.via, route.via);
        assert.equal(error?.sameTick, false);
      });
    }

    for (const route of argumentRoutes) {
      test(`${route.path} benign runs`, async () => {
        await assertRuns(holder.current, route, "report.final.pdf");
      });
    }

    test("program from input blocked", async () => {
      const route: RouteCase = {
        path: "/spawn-program",
        sink: "child_process.spawn",
        via: "error-event",
      };
      const event = await assertBlocked(holder.current, route, "echo");
      assert.equal(event.attack_type, "shell_injection");
      assert.equal(event.reason, "program-from-input");
    });

    test("command position blocked", async () => {
      const route: RouteCase = {
        path: "/exec-program",
        sink: "child_process.exec",
        via: "callback",
      };
      const event = await assertBlocked(holder.current, route, "whoami");
      assert.equal(event.reason, "command-position");
    });

    test("unobserved child blocked without crash", async () => {
      const current = holder.current;
      const route: RouteCase = {
        path: "/spawn-unobserved",
        sink: "child_process.spawn",
        via: "error-event",
      };
      await assertBlocked(current, route, "x`id`");

      const after = await current.client.get(withQuery("/exec", [["name", "still-alive"]]));
      assert.equal(after.status, 200);
      assert.equal(after.body.trim(), "still-alive");
      assert.equal(current.app.process.exitCode, null);
    });

    test("option argument only monitored", async () => {
      const current = holder.current;
      const eventsBefore = current.app.events().length;
      await assertRuns(current, argumentRoutes[0] as RouteCase, "--output=/tmp/x");
      const events = await current.app.waitForEvents(eventsBefore + 1);
      const event = events.at(-1);
      assert.equal(event?.attack_type, "argument_injection");
      assert.equal(event?.action, "monitored");
      assert.equal(event?.sink, "child_process.execFile");
    });
  });
}

describeBlockMode("child-process-app.cjs");
describeBlockMode("child-process-app.mjs");

describe("quoted arguments pass", () => {
  const holder = useApp("child-process-app.cjs", "block");
  const values = [
    "ann.lee+news@example.com",
    "12,15,22",
    "Who's there? Tom & Jerry; 5 > 3",
    "/srv/My Files/2024 report.pdf",
    "costs $5 (or `more`)",
  ];

  for (const value of values) {
    test(`single and double quoted: ${value}`, async () => {
      const quoted = [
        { path: "/exec-single-quoted", sink: "child_process.exec", via: "callback" },
        { path: "/exec-double-quoted", sink: "child_process.exec", via: "callback" },
      ] as const;
      for (const route of quoted) await assertRuns(holder.current, route, value);
      assert.equal(holder.current.app.events().length, 0);
    });
  }
});

describe("esm default import", () => {
  const holder = useApp("child-process-app.mjs", "block");
  const route: RouteCase = {
    path: "/default-import-exec",
    sink: "child_process.exec",
    via: "callback",
  };

  test("benign runs", async () => {
    const response = await holder.current.client.get(withQuery(route.path, [["name", "hello"]]));
    assert.equal(response.status, 200);
    assert.equal(response.body.trim(), "hello");
  });

  test("injection blocked", async () => {
    await assertBlocked(holder.current, route, "hello && id");
  });
});

describe("argument injection in block mode", () => {
  const holder = useApp("child-process-app.cjs", "block", {
    RAMPART_DETECTOR_MODES: "argument_injection=block",
  });

  for (const route of argumentRoutes) {
    test(`${route.path} option blocked`, async () => {
      const event = await assertBlocked(holder.current, route, "--output=/tmp/x");
      assert.equal(event.attack_type, "argument_injection");
      assert.equal(event.reason, "option-from-input");
    });
  }

  test("operand after dashes runs", async () => {
    const route: RouteCase = {
      path: "/exec-file-sync-after-dashes",
      sink: "child_process.execFileSync",
      via: "throw",
    };
    await assertRuns(holder.current, route, "--output=/tmp/x", "--\n--output=/tmp/x");
  });

  test("negative number runs", async () => {
    await assertRuns(holder.current, argumentRoutes[1] as RouteCase, "-5");
  });
});

describe("monitor mode", () => {
  const holder = useApp("child-process-app.cjs", "monitor");

  const monitored = ["/exec", "/exec-sync", "/spawn-sync-shell", "/exec-file-sync-bash-c"];
  for (const route of shellRoutes.filter((item) => monitored.includes(item.path))) {
    test(`${route.path} runs and reports`, async () => {
      const current = holder.current;
      const eventsBefore = current.app.events().length;
      const response = await current.client.get(
        withQuery(route.path, [["name", "hello; echo injected"]]),
      );
      assert.equal(response.status, 200, response.body);
      assert.match(response.body, /injected/);

      const events = await current.app.waitForEvents(eventsBefore + 1);
      const event = events.at(-1);
      assert.equal(event?.action, "monitored");
      assert.equal(event?.attack_type, "shell_injection");
      assert.equal(event?.sink, route.sink);
    });
  }
});

describe("cmdi corpus in block mode", { skip: corpusSkipReason() }, () => {
  const holder = useApp("child-process-app.cjs", "block");

  test("flagged payloads never run", async () => {
    const current = holder.current;
    // Only payloads that the detector flags for this command are sent, so that none can run if the sink failed.
    const command = (value: string) => `echo ${value} | tee ${current.markerDir}/exec-1.txt`;
    const payloads = loadCorpus("cmdi")
      .filter((entry) => entry.context === "shell-argument" && typeof entry.payload === "string")
      .map((entry) => entry.payload as string)
      .filter((value) => {
        const inputs = [{ source: "query" as const, path: "query.name", value }];
        return detectShellInjection(command(value), inputs) !== undefined;
      });
    assert.ok(payloads.length > 350, `${payloads.length} payloads`);

    // A harmless injection first: when the sink does not block it, no corpus payload is sent at all.
    const canary = await current.client.get(withQuery("/exec", [["name", "x; echo canary"]]));
    assert.equal(canary.status, 403, "sink did not block the canary; corpus payloads not sent");

    // One at a time, stopping at the first payload that was not blocked, so that at most one can run.
    let blocked = 0;
    for (const value of payloads) {
      const response = await current.client.get(withQuery("/exec", [["name", value]]));
      assert.equal(response.status, 403, `not blocked: ${JSON.stringify(value)}`);
      blocked++;
    }
    console.log(`# corpus through /exec: ${blocked}/${payloads.length} blocked`);
    assert.deepEqual(markers(current.markerDir), []);
  });
});
