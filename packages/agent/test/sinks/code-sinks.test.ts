// Function and vm sinks in real fixture apps (test/fixtures/code-app.cjs and .mjs). In block mode
// a payload must get 403, an event naming the sink and the input, and must not run: the payloads
// call `touchMarker(name)`, which writes a file that the test then looks for.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { startApp, type RunningApp, type SecurityEvent } from "../helpers/app-process";
import { corpusSkipReason, loadCorpus } from "../helpers/corpus";
import { eventSchemaErrors } from "../helpers/event-schema";
import { HttpClient, mapConcurrently, withQuery, type HttpResponse } from "../helpers/http-client";
import { judgeWithOracle, type OracleVerdict } from "../detectors/code/oracle";

interface Attack {
  readonly route: string;
  readonly sink: string;
  readonly payload: string;
  /** File that the payload writes if it runs. */
  readonly marker: string;
}

const cjsAttacks: readonly Attack[] = [
  {
    route: "/run/function",
    sink: "global.Function",
    payload: "touchMarker('function')",
    marker: "function",
  },
  {
    route: "/run/function-parameters",
    sink: "global.Function",
    payload: "touchMarker('parameters')",
    marker: "parameters",
  },
  {
    route: "/run/constructor",
    sink: "global.Function",
    payload: "touchMarker('constructor')",
    marker: "constructor",
  },
  {
    route: "/compile/async-function",
    sink: "global.AsyncFunction",
    payload: "touchMarker('async')",
    marker: "async",
  },
  {
    route: "/run/vm-new-context",
    sink: "vm.runInNewContext",
    payload: "a' + touchMarker('new-context') + '",
    marker: "new-context",
  },
  {
    route: "/run/vm-context",
    sink: "vm.runInContext",
    payload: "touchMarker('context')",
    marker: "context",
  },
  {
    route: "/run/vm-this-context",
    sink: "vm.runInThisContext",
    payload: "touchMarker('this-context')",
    marker: "this-context",
  },
  {
    route: "/run/vm-script",
    sink: "vm.Script",
    payload: "1; touchMarker('script')",
    marker: "script",
  },
  {
    route: "/run/compile-function",
    sink: "vm.compileFunction",
    payload: "touchMarker('compile-function')",
    marker: "compile-function",
  },
];

const esmAttacks: readonly Attack[] = [
  {
    route: "/run/function",
    sink: "global.Function",
    payload: "touchMarker('esm-function')",
    marker: "esm-function",
  },
  {
    route: "/run/vm-new-context",
    sink: "vm.runInNewContext",
    payload: "'); touchMarker('esm-new-context'); ('",
    marker: "esm-new-context",
  },
  {
    route: "/run/vm-script",
    sink: "vm.Script",
    payload: "touchMarker('esm-script')",
    marker: "esm-script",
  },
];

interface Running {
  app: RunningApp;
  client: HttpClient;
  markerDir: string;
}

function useApp(script: string, loader: "require" | "import", mode: "block" | "monitor"): Running {
  const running = {} as Running;
  before(async () => {
    running.markerDir = mkdtempSync(path.join(tmpdir(), "rampart-code-marker-"));
    running.app = await startApp({ script, loader, mode, env: { MARKER_DIR: running.markerDir } });
    running.client = new HttpClient(running.app.url);
  });
  after(async () => {
    running.client.close();
    await running.app.stop();
    rmSync(running.markerDir, { recursive: true, force: true });
  });
  return running;
}

function query(route: string, value: string): string {
  return withQuery(route, [["q", value]]);
}

function eventIdOf(response: HttpResponse): string {
  return (JSON.parse(response.body) as { event_id: string }).event_id;
}

async function assertBlocked(running: Running, attack: Attack): Promise<void> {
  const response = await running.client.get(query(attack.route, attack.payload));
  assert.equal(response.status, 403, response.body);

  const event = (await running.app.waitForEvent(eventIdOf(response))) as SecurityEvent;
  assert.ok(event !== undefined, "event not written");
  assert.deepEqual(eventSchemaErrors(event), []);
  assert.equal(event.attack_type, "code_injection");
  assert.equal(event.sink, attack.sink);
  assert.equal(event.action, "blocked");
  assert.equal(event.input.path, "query.q");
  assert.equal(event.input.value, attack.payload);
  assert.equal(existsSync(path.join(running.markerDir, attack.marker)), false, "payload ran");
}

async function resultOf(running: Running, route: string, value: string): Promise<unknown> {
  const response = await running.client.get(query(route, value));
  assert.equal(response.status, 200, response.body);
  return (JSON.parse(response.body) as { result: unknown }).result;
}

describe("code sinks CJS block", () => {
  const running = useApp("code-app.cjs", "require", "block");

  for (const attack of cjsAttacks) {
    test(`${attack.sink} ${attack.route} blocked`, async () => {
      await assertBlocked(running, attack);
    });
  }

  test("arithmetic runs", async () => {
    assert.equal(await resultOf(running, "/run/function", "(1+2)*3"), 9);
    assert.equal(await resultOf(running, "/run/vm-script", "0.5 * 4"), 4);
    assert.deepEqual(await resultOf(running, "/run/vm-context", '{"a": [1, 2]}'), { a: [1, 2] });
  });

  test("text inside string literal runs", async () => {
    assert.equal(
      await resultOf(running, "/run/vm-new-context", 'say "hi", process.exit()'),
      'say "hi", process.exit()',
    );
  });

  test("no event for benign requests", async () => {
    const before = running.app.events().length;
    await resultOf(running, "/run/function", "42");
    await resultOf(running, "/run/compile-function", "-1.5e3");
    assert.equal(running.app.events().length, before);
  });

  test("Function identity kept", async () => {
    assert.deepEqual(await resultOf(running, "/function-identity", ""), {
      instanceOf: true,
      compiledPrototype: true,
      literalInstanceOf: true,
      prototypeKept: true,
      constructorKept: true,
      subclass: true,
      subclassInstance: true,
      scriptInstance: true,
      scriptSubclass: true,
    });
  });

  test("setTimeout string rejected by Node", async () => {
    assert.equal(
      await resultOf(running, "/run/set-timeout-string", "touchMarker('timeout')"),
      "ERR_INVALID_ARG_TYPE",
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(existsSync(path.join(running.markerDir, "timeout")), false);
  });
});

// Corpus payloads only reach /compile/ routes, which compile without running, and only in block mode.
const corpusRoutes: readonly { route: string; before: string; after: string; neutral: string }[] = [
  {
    route: "/compile/function",
    before: "(function anonymous(\n) {\nreturn ",
    after: "\n})",
    neutral: "1",
  },
  {
    route: "/compile/function-paren",
    before: "(function anonymous(\n) {\nreturn (",
    after: ")\n})",
    neutral: "1",
  },
  { route: "/compile/vm-script-string", before: "x = '", after: "'", neutral: "abc" },
  { route: "/compile/vm-script-calculator", before: "2 + ", after: "", neutral: "1" },
];

describe("code corpus CJS block", { skip: corpusSkipReason() }, () => {
  const running = useApp("code-app.cjs", "require", "block");

  for (const template of corpusRoutes) {
    test(`${template.route} follows oracle`, async () => {
      const payloads = loadCorpus("code")
        .flatMap((entry) => (typeof entry.payload === "string" ? [entry.payload] : []))
        .filter((payload) => payload.trim().length >= 2);

      const outcomes = await mapConcurrently(payloads, 8, async (payload) => {
        const verdict: OracleVerdict = judgeWithOracle(
          template.before,
          payload,
          template.after,
          template.neutral,
        );
        const response = await running.client.get(query(template.route, payload));
        return { payload, verdict, status: response.status };
      });

      const wrong = outcomes.filter(
        ({ verdict, status }) =>
          (verdict === "breaks-out" && status !== 403) ||
          (verdict === "stays-inside" && status !== 200),
      );
      const breaking = outcomes.filter(({ verdict }) => verdict === "breaks-out").length;
      const blocked = outcomes.filter(({ status }) => status === 403).length;
      console.log(
        `# ${template.route}: blocked ${blocked}/${outcomes.length}, oracle breaks-out ${breaking}, unparseable ${outcomes.filter(({ verdict }) => verdict === "unparseable").length}`,
      );
      assert.deepEqual(wrong, []);
      assert.deepEqual(readdirSync(running.markerDir), []);
    });
  }
});

describe("code sinks CJS monitor", () => {
  const running = useApp("code-app.cjs", "require", "monitor");

  test("harmless code runs and is reported", async () => {
    const payload = "touchMarker('monitored')";
    const result = await resultOf(running, "/run/function", payload);
    assert.equal(result, "marker written");
    assert.equal(existsSync(path.join(running.markerDir, "monitored")), true);

    const events = await running.app.waitForEvents(1);
    const event = events.find((candidate) => candidate.input.value === payload);
    assert.equal(event?.action, "monitored");
    assert.equal(event?.sink, "global.Function");
    assert.equal(event?.attack_type, "code_injection");
  });

  test("harmless vm breakout runs and is reported", async () => {
    const payload = "a' + touchMarker('monitored-vm') + '";
    assert.equal(await resultOf(running, "/run/vm-new-context", payload), "amarker written");

    const events = await running.app.waitForEvents(2);
    const event = events.find((candidate) => candidate.input.value === payload);
    assert.equal(event?.sink, "vm.runInNewContext");
    assert.equal(event?.reason, "spans-tokens");
  });
});

describe("code sinks ESM block", () => {
  const running = useApp("code-app.mjs", "import", "block");

  for (const attack of esmAttacks) {
    test(`${attack.sink} ${attack.route} blocked`, async () => {
      await assertBlocked(running, attack);
    });
  }

  test("arithmetic runs", async () => {
    assert.equal(await resultOf(running, "/run/vm-script", "3 * 4"), 14);
    assert.equal(await resultOf(running, "/run/function", "'it is fine'"), "it is fine");
  });
});
