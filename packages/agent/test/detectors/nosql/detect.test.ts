import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { StructuredInput } from "../../../src/context/request-inputs";
import { InputCollector } from "../../../src/context/input-collector";
import { detectNosqlInjection, type MongoDocument } from "../../../src/detectors/nosql/detect";
import { describeMongoOperation } from "../../../src/detectors/nosql/describe";
import { findServerCodeInjection } from "../../../src/detectors/nosql/server-code";
import {
  findUserOperators,
  mayCarryOperators,
  noUserOperators,
} from "../../../src/detectors/nosql/user-operators";
import type { UserInput } from "../../../src/detectors/types";

/** Builds what the agent derives from a request whose JSON body is `body`. */
function request(body: unknown, query: unknown = {}) {
  const parts: StructuredInput[] = [
    { source: "query", path: "query", value: query },
    { source: "body", path: "body", value: body },
    { source: "params", path: "params", value: undefined },
  ];
  const collector = new InputCollector();
  collector.addValue("query", "query", query);
  collector.addValue("body", "body", body);
  return { inputs: collector.inputs, userOperators: findUserOperators(parts) };
}

function judgeFilter(filter: unknown, body: unknown, query: unknown = {}) {
  const { inputs, userOperators } = request(body, query);
  return detectNosqlInjection([{ role: "filter", value: filter }], userOperators, inputs);
}

function strings(...values: string[]): UserInput[] {
  return values.map((value, index) => ({ source: "query", path: `query.v${index}`, value }));
}

describe("nosql operator objects", () => {
  test("body operator at field position", () => {
    const body = JSON.parse('{"user":"admin","password":{"$ne":""}}');
    const finding = judgeFilter({ user: body.user, password: body.password }, body);
    assert.equal(finding?.reason, "user-operator-object");
    assert.equal(finding?.input?.path, "body.password");
    assert.equal(finding?.operatorKey, "$ne");
  });

  test("copied operator object found", () => {
    const body = { user: { $regex: "^adm" } };
    const finding = judgeFilter({ user: structuredClone(body.user) }, body);
    assert.equal(finding?.input?.path, "body.user");
  });

  test("cast values still match", () => {
    const body = { age: { $gt: "17" }, since: { $gte: "2024-01-01T00:00:00.000Z" } };
    assert.ok(judgeFilter({ age: { $gt: 17 } }, body));
    assert.ok(
      judgeFilter({ since: { $gte: new Date("2024-01-01T00:00:00.000Z") } }, { since: body.since }),
    );
  });

  test("whole body as filter", () => {
    const body = { $where: "sleep(1)" };
    assert.equal(judgeFilter(body, body)?.input?.path, "body");
  });

  test("query operator from qs", () => {
    const query = { user: { $in: ["admin", "root"] } };
    assert.equal(judgeFilter({ user: query.user }, {}, query)?.input?.path, "query.user");
  });

  test("operator inside JSON text input", () => {
    const query = { filter: '{"price":{"$lt":1}}' };
    const filter = JSON.parse(query.filter);
    assert.equal(judgeFilter(filter, {}, query)?.input?.path, "query.filter.price");
  });

  test("operators under $and and $elemMatch", () => {
    const body = { tag: { $exists: true } };
    assert.ok(judgeFilter({ $and: [{ owner: "me" }, { tag: body.tag }] }, body));
    assert.ok(judgeFilter({ items: { $elemMatch: { tag: body.tag } } }, body));
  });

  test("pipeline $match stage", () => {
    const body = { user: { $ne: null } };
    const { inputs, userOperators } = request(body);
    const documents: MongoDocument[] = [
      { role: "pipeline", value: [{ $match: { user: body.user } }, { $limit: 1 }] },
    ];
    assert.equal(detectNosqlInjection(documents, userOperators, inputs)?.input?.path, "body.user");
  });

  test("update document values are data", () => {
    const body = { profile: { $ne: 1 }, update: { $set: { role: "admin" } } };
    const { inputs, userOperators } = request(body);
    const stored: MongoDocument[] = [
      { role: "filter", value: { _id: 1 } },
      { role: "update", value: { $set: { profile: { nested: body.profile } } } },
    ];
    assert.equal(detectNosqlInjection(stored, userOperators, inputs), undefined);

    const userUpdate: MongoDocument[] = [{ role: "update", value: body.update }];
    assert.equal(
      detectNosqlInjection(userUpdate, userOperators, inputs)?.input?.path,
      "body.update",
    );
  });

  test("sanitizeFilter $eq wrapper passes", () => {
    const body = { password: { $ne: "" } };
    assert.equal(judgeFilter({ password: { $eq: body.password } }, body), undefined);
  });
});

describe("nosql benign filters", () => {
  test("user strings as values", () => {
    const body = { name: "O'Brien", comment: "use $gt and $lt", price: "$5" };
    assert.equal(
      judgeFilter({ name: body.name, comment: body.comment, price: body.price }, body),
      undefined,
    );
  });

  test("app-authored operators", () => {
    const body = { name: "a.*", age: "18" };
    const filter = {
      name: { $regex: body.name.replace(/[.*]/g, "\\$&") },
      age: { $gt: 18 },
      deleted: { $ne: true },
    };
    assert.equal(judgeFilter(filter, body), undefined);
  });

  test("embedded document from body", () => {
    const body = { address: { city: "Dublin", line1: "12 O'Connell St." } };
    assert.equal(judgeFilter({ address: body.address }, body), undefined);
  });

  test("user operator object not used", () => {
    const body = { filter: { $ne: 1 } };
    assert.equal(judgeFilter({ user: "alice" }, body), undefined);
  });
});

describe("nosql server code", () => {
  test("string breakout in $where", () => {
    const finding = findServerCodeInjection(
      "this.name == 'x' || '1'=='1'",
      strings("x' || '1'=='1"),
    );
    assert.equal(finding?.reason, "server-code-tokens");
    assert.equal(finding?.offset, 14);
  });

  test("numeric context injection", () => {
    assert.ok(findServerCodeInjection("this.age > 0;return true", strings("0;return true")));
    assert.ok(findServerCodeInjection("this.age > 1 || 1==1", strings("1 || 1==1")));
  });

  test("literal values pass", () => {
    assert.equal(
      findServerCodeInjection("this.name == 'Alice Smith'", strings("Alice Smith")),
      undefined,
    );
    assert.equal(findServerCodeInjection("this.age > 18", strings("18")), undefined);
    assert.equal(
      findServerCodeInjection('this.name == "x\' || 1==1"', strings("x' || 1==1")),
      undefined,
    );
    assert.equal(findServerCodeInjection("this.name == 'x'", strings("'")), undefined);
  });

  test("regular expression literal holds input", () => {
    assert.equal(
      findServerCodeInjection("return /^John Smith$/.test(this.name)", strings("John Smith")),
      undefined,
    );
  });

  test("template substitution is code", () => {
    assert.ok(
      findServerCodeInjection("return this.name == `${sleep(100)}`", strings("${sleep(100)}")),
    );
    assert.equal(
      findServerCodeInjection("return this.name == `Alice Smith`", strings("Alice Smith")),
      undefined,
    );
  });

  test("$where in filter, $function and $accumulator in pipeline", () => {
    const inputs = strings("a' || true || '");
    const code = "function (n) { return n == 'a' || true || ''; }";
    const documents: MongoDocument[] = [
      { role: "filter", value: { $where: { code: "this.a == 'a' || true || ''" } } },
      {
        role: "pipeline",
        value: [{ $match: { $expr: { $function: { body: code, args: [], lang: "js" } } } }],
      },
      {
        role: "pipeline",
        value: [
          {
            $group: {
              _id: 1,
              n: { $accumulator: { init: "function () { return 0; }", accumulate: code } },
            },
          },
        ],
      },
    ];
    for (const document of documents) {
      assert.equal(
        detectNosqlInjection([document], noUserOperators, inputs)?.reason,
        "server-code-tokens",
      );
    }
  });
});

describe("nosql helpers", () => {
  test("operator hint from inputs", () => {
    assert.equal(mayCarryOperators(strings("alice", "O'Brien")), false);
    assert.equal(mayCarryOperators(strings("alice", "$ne")), true);
    assert.equal(mayCarryOperators(strings('{"a":{"$gt":1}}')), true);
  });

  test("operation text is bounded", () => {
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let depth = 0; depth < 1000; depth++) cursor = cursor.a = {} as Record<string, unknown>;
    const text = describeMongoOperation("find", [deep, { big: "x".repeat(10_000) }]);
    assert.ok(text.length <= 4097, `length ${text.length}`);
    assert.match(
      describeMongoOperation("find", [{ user: { $ne: "" }, when: new Date(0) }]),
      /^find \{"user":\{"\$ne":""\},"when":1970-01-01T00:00:00.000Z\}$/,
    );
  });
});
