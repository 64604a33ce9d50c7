import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { InputCollector, maxPathLength } from "../../src/context/input-collector";

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

  test("cycles visited once", () => {
    const cyclic: Record<string, unknown> = { name: "x" };
    cyclic.self = cyclic;

    const collector = new InputCollector();
    collector.addValue("body", "body", cyclic);
    assert.deepEqual(pathsAndValues(collector), [
      "body.name=name",
      "body.self=self",
      "body.name=x",
    ]);
  });

  test("deep nesting kept, path cut", () => {
    let deep: unknown = { leaf: "x' OR '1'='1" };
    for (let level = 0; level < 100_000; level++) deep = { next: deep };

    const collector = new InputCollector();
    collector.addValue("body", "body", deep);

    const leaf = collector.inputs.find((input) => input.value === "x' OR '1'='1");
    assert.ok(leaf, "the attack at depth 100,000 is still an input");
    assert.ok(leaf.path.length <= maxPathLength + 1);
    assert.ok(leaf.path.endsWith("…"));
  });

  test("padding cannot push inputs out", () => {
    const collector = new InputCollector();
    const padding = Array.from({ length: 50_000 }, (_, index) => `pad${index}`);
    collector.addValue("body", "body", {
      pad: padding,
      same: Array(50_000).fill("1"),
      name: "admin'--",
    });

    assert.ok(
      collector.inputs.some((input) => input.path === "body.name" && input.value === "admin'--"),
    );
    assert.equal(
      collector.inputs.filter((input) => input.value === "1").length,
      1,
      "repeated values kept once",
    );
  });

  test("buffers are not inputs", () => {
    const collector = new InputCollector();
    collector.addValue("body", "body", Buffer.from("' or 1=1"));
    assert.equal(collector.inputs.length, 0);
  });

  test("value from an earlier request: same inputs, new request's path", () => {
    const encode = (json: object) => Buffer.from(JSON.stringify(json)).toString("base64url");
    const token = `${encode({ alg: "HS256" })}.${encode({ sub: "x' OR 1=1--" })}.c2ln`;

    // The decoded token and its parsed claims are kept across requests; the paths are not.
    const first = new InputCollector();
    first.addString("headers", "headers.authorization", `Bearer ${token}`);
    const second = new InputCollector();
    second.addString("cookies", "cookies.auth", `Bearer ${token}`);

    const firstFound = pathsAndValues(first);
    assert.ok(firstFound.includes("headers.authorization.sub=x' OR 1=1--"));
    assert.deepEqual(
      pathsAndValues(second),
      firstFound.map((entry) => entry.replace(/^headers\.authorization/, "cookies.auth")),
    );
  });
});
