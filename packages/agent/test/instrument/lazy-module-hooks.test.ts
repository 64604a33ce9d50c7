// Lazy hook entries: the patch module of a package loads when that package loads, and a patch
// module that fails to load leaves the package working and unpatched. Runs real require() calls
// through require-in-the-middle on packages the agent itself never loads (qs, acorn,
// reflect-metadata).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";

import {
  hookModules,
  type LazyModuleInstrumentation,
  type ModuleInstrumentation,
} from "../../src/instrument/module-hooks";
import { instrumentations } from "../../src/sinks";

const requireModule = createRequire(__filename);

test("lazy entries load their own package's patch", () => {
  const lazyEntries = instrumentations.filter(
    (entry): entry is LazyModuleInstrumentation => "load" in entry,
  );
  assert.ok(lazyEntries.length > 0, "the package list has lazy entries");

  for (const entry of lazyEntries) {
    const loaded = entry.load();
    assert.equal(loaded.name, entry.name, `the patch module of ${entry.name}`);
    assert.equal(typeof loaded.patch, "function", `${entry.name} has a patch function`);
    assert.ok(loaded.majorVersions.length > 0, `${entry.name} names its supported versions`);
  }
});

test("patch module loaded when the package loads", () => {
  let loads = 0;
  const patched: unknown[] = [];
  const instrumentation: ModuleInstrumentation = {
    name: "qs",
    majorVersions: [6],
    patch(moduleExports) {
      patched.push(moduleExports);
      return undefined;
    },
  };
  hookModules([
    {
      name: "qs",
      load() {
        loads++;
        return instrumentation;
      },
    },
  ]);
  assert.equal(loads, 0, "nothing loaded before the package is required");

  const qs = requireModule("qs") as { parse: unknown };
  assert.equal(loads, 1);
  assert.equal(patched.length, 1);
  assert.equal(patched[0], qs);

  requireModule("qs");
  assert.equal(loads, 1, "the patch module is loaded once");
});

test("failing patch module leaves package unpatched", () => {
  let loads = 0;
  hookModules([
    {
      name: "acorn",
      load(): ModuleInstrumentation {
        loads++;
        throw new Error("patch module missing");
      },
    },
  ]);

  const acorn = requireModule("acorn") as { parse: (code: string, options: object) => unknown };
  assert.equal(loads, 1);
  assert.equal(typeof acorn.parse, "function");
  assert.ok(acorn.parse("1 + 1", { ecmaVersion: 2022 }), "the package works");
});

test("patch of another package is not applied", () => {
  let patchCalls = 0;
  hookModules([
    {
      name: "reflect-metadata",
      load: () => ({
        name: "another-package",
        majorVersions: [0],
        patch() {
          patchCalls++;
          return undefined;
        },
      }),
    },
  ]);

  requireModule("reflect-metadata");
  assert.equal(patchCalls, 0);
});
