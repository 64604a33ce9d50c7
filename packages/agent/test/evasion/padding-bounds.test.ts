// Padding a request or an operation with many objects or values must not hide an attack placed
// after it: detectors walk everything, in time linear in the size of what they walk.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { detectNosqlInjection } from "../../src/detectors/nosql/detect";
import { findUserOperators } from "../../src/detectors/nosql/user-operators";
import { detectPrototypePollution } from "../../src/detectors/prototype-pollution/detect";
import { findHostChooser, targetFromUrl } from "../../src/detectors/ssrf";
import type { UserInput } from "../../src/detectors/types";

const padding = 30_000;

function emptyObjects(count: number): object[] {
  return Array.from({ length: count }, () => ({}));
}

describe("padding before an attack", () => {
  test("operator after empty objects in the body", () => {
    const operator = { $ne: "x" };
    const body = { pad: emptyObjects(padding), q: operator };

    const operators = findUserOperators([{ source: "body", path: "body", value: body }]);
    const finding = detectNosqlInjection(
      [{ role: "filter", value: { user: operator } }],
      operators,
      [],
    );

    assert.equal(operators.list.length, 1);
    assert.equal(finding?.reason, "user-operator-object");
    assert.equal(finding?.input?.path, "body.q");
  });

  test("operator after empty objects in the filter", () => {
    const body = { pad: emptyObjects(padding), user: { $ne: "x" } };

    const operators = findUserOperators([{ source: "body", path: "body", value: body }]);
    const finding = detectNosqlInjection([{ role: "filter", value: body }], operators, []);

    assert.equal(finding?.reason, "user-operator-object");
  });

  test("operator in base64 text after padding", () => {
    const encoded = Buffer.from('{"$gt":""}').toString("base64");
    const body = { pad: emptyObjects(padding), q: encoded };

    const operators = findUserOperators([{ source: "body", path: "body", value: body }]);

    assert.equal(operators.list.length, 1);
    assert.equal(operators.list[0]?.input.path, "body.q");
  });

  test("prototype key after empty objects", () => {
    const body = JSON.parse(
      `{"pad":[${"{},".repeat(padding)}{}],"__proto__":{"admin":true}}`,
    ) as unknown;

    const finding = detectPrototypePollution([{ source: "body", path: "body", value: body }]);

    assert.equal(finding?.reason, "prototype-key");
  });

  test("host chooser with an input at every offset", () => {
    // An input that occurs at every offset of a long URL used to be compared at each occurrence,
    // which took minutes for a 1 MiB URL and a 512 KiB input.
    const tail = "1".repeat(1 << 20);
    const target = targetFromUrl(`http://127.0.0.1/${tail}`);
    assert.ok(target !== undefined);
    const inputs: UserInput[] = [
      { source: "body", path: "body.half", value: tail.slice(tail.length / 2) },
      { source: "query", path: "query.url", value: `http://127.0.0.1/${tail.slice(0, 10)}` },
    ];

    const started = process.cpuUsage();
    const chooser = findHostChooser(target, inputs);
    const used = process.cpuUsage(started);

    assert.equal(chooser?.path, "query.url");
    assert.ok((used.user + used.system) / 1000 < 2_000, "host search took over 2 s of CPU");
  });
});
