import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { InputCollector, maxDepth, maxInputs } from "../../src/context/input-collector";

function pathsAndValues(collector: InputCollector): string[] {
  return collector.inputs.map((input) => `${input.path}=${input.value}`);
}

describe("input collector", () => {
  test("nested body leaves and keys", () => {
    const collector = new InputCollector();
    collector.addValue("body", "body", { user: { name: "alice", tags: ["a", "b"] }, age: 3 });

    const found = pathsAndValues(collector);
    assert.ok(found.includes("body.user.name=alice"));
    assert.ok(found.includes("body.user.tags.0=a"));
    assert.ok(found.includes("body.user.tags.1=b"));
    assert.ok(found.includes("body.user=user"), "keys are inputs too");
    assert.ok(
      !found.some((entry) => entry.endsWith("=3")),
      "numbers cannot carry syntax and are skipped",
    );
  });

  test("URL-decoded form added", () => {
    const collector = new InputCollector();
    collector.addString("query", "query.q", "%27%20or%201%3D1");
    assert.deepEqual(pathsAndValues(collector), ["query.q=%27%20or%201%3D1", "query.q=' or 1=1"]);
  });

  test("JSON text leaves added", () => {
    const collector = new InputCollector();
    collector.addString("query", "query.filter", '{"name":"x\' or 1=1 --"}');
    assert.ok(pathsAndValues(collector).includes("query.filter.name=x' or 1=1 --"));
  });

  test("invalid JSON text kept as is", () => {
    const collector = new InputCollector();
    collector.addString("body", "body", "{not json");
    assert.deepEqual(pathsAndValues(collector), ["body={not json"]);
  });

  test("cycles and depth are bounded", () => {
    const cyclic: Record<string, unknown> = { name: "x" };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { leaf: "bottom" };
    for (let level = 0; level < maxDepth + 10; level++) deep = { next: deep };

    const collector = new InputCollector();
    collector.addValue("body", "body", cyclic);
    collector.addValue("body", "body", deep);

    assert.ok(pathsAndValues(collector).includes("body.name=x"));
    assert.ok(collector.skipped >= 2, "the cycle and the too-deep branch are counted");
  });

  test("input count is capped", () => {
    const collector = new InputCollector();
    const many = Array.from({ length: maxInputs + 50 }, (_, index) => `v${index}`);
    collector.addValue("body", "body", many);

    assert.equal(collector.inputs.length, maxInputs);
    assert.equal(collector.skipped, 50);
  });

  test("buffers are not inputs", () => {
    const collector = new InputCollector();
    collector.addValue("body", "body", Buffer.from("' or 1=1"));
    assert.equal(collector.inputs.length, 0);
  });
});
