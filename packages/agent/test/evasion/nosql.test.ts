// NoSQL operator injection tricks against a route that runs findOne({ user: value }) with the
// value in its parsed shape. The database is a MongoRecorder, which records commands and never
// responds to queries: a blocked call sends nothing, a benign one is reported as sent.
// Operator objects are read from the query, body and params only, so a JWT in the Authorization
// header that carries an object claim is not judged for operators (see docs/limitations.md).
import { after, before, describe } from "node:test";

import { MongoRecorder } from "../helpers/mongo-recorder";
import { runCases, unsignedJwt, useEvasionApp, type EvasionCase } from "./evasion-app";

function postJson(path: string, body: string): EvasionCase["request"] {
  return { path, method: "POST", headers: { "content-type": "application/json" }, body };
}

const base64 = (value: unknown) =>
  encodeURIComponent(Buffer.from(JSON.stringify(value)).toString("base64"));
const nested = (value: unknown) => encodeURIComponent(JSON.stringify({ q: value }));

// prettier-ignore
const attacks: Array<[string, EvasionCase["request"]]> = [
  ["bracket operator in query", { path: "/nosql?via=query&q[$ne]=x" }],
  ["percent-encoded dollar", { path: "/nosql?via=query&q[%24ne]=x" }],
  ["percent-encoded brackets", { path: "/nosql?via=query&q%5B%24ne%5D=x" }],
  ["regex operator", { path: "/nosql?via=query&q[$regex]=.*" }],
  ["greater than empty", { path: "/nosql?via=query&q[$gt]=" }],
  ["in with array", { path: "/nosql?via=query&q[$in][]=admin&q[$in][]=root" }],
  ["nin with indexes", { path: "/nosql?via=query&q[$nin][0]=x&q[$nin][1]=y" }],
  ["exists", { path: "/nosql?via=query&q[$exists]=true" }],
  ["JSON body", postJson("/nosql?via=body", '{"q":{"$ne":"x"}}')],
  ["JSON unicode escape of $", postJson("/nosql?via=body", '{"q":{"\\u0024ne":"x"}}')],
  ["JSON body null value", postJson("/nosql?via=body", '{"q":{"$ne":null}}')],
  ["JSON body nested operator", postJson("/nosql?via=body", '{"q":{"$not":{"$eq":"x"}}}')],
  ["JSON text in query field", { path: `/nosql?via=nested&data=${nested({ $ne: "x" })}` }],
  ["JSON text in body field", postJson("/nosql?via=nested", JSON.stringify({ data: JSON.stringify({ q: { $gt: "" } }) }))],
  ["base64 JSON in query", { path: `/nosql?via=base64&q=${base64({ $ne: "x" })}` }],
  ["base64 JSON in body", postJson("/nosql?via=base64", JSON.stringify({ q: Buffer.from('{"$regex":".*"}').toString("base64") }))],
  ["JWT claim in a body field", postJson("/nosql?via=jwt", JSON.stringify({ token: unsignedJwt({ q: { $ne: "x" } }) }))],
  ["attack after 30,000 empty objects", postJson("/nosql?via=body", `{"pad":[${"{},".repeat(30_000)}{}],"q":{"$ne":"x"}}`)],
  ["attack after 30,000 objects in the filter", postJson("/nosql-filter", `{"filter":{"pad":[${"{},".repeat(30_000)}{}],"user":{"$ne":"x"}}}`)],
  ["attack after 30,000 nested levels in the filter", postJson("/nosql-filter", `{"filter":{"pad":${'{"a":'.repeat(30_000)}1${"}".repeat(30_000)},"user":{"$ne":"x"}}}`)],
  ["attack after 50,000 padding keys", postJson("/nosql?via=body", JSON.stringify({ ...Object.fromEntries(Array.from({ length: 50_000 }, (_, index) => [`k${index}`, "v"])), q: { $ne: "x" } }))],
];

// prettier-ignore
const benign: Array<[string, EvasionCase["request"]]> = [
  ["plain query value", { path: "/nosql?via=query&q=alice" }],
  ["dollar in a value", { path: "/nosql?via=query&q=%24ne" }],
  ["JSON body string", postJson("/nosql?via=body", '{"q":"alice"}')],
  ["JSON text in query field", { path: `/nosql?via=nested&data=${nested("alice")}` }],
  ["base64 JSON string", { path: `/nosql?via=base64&q=${base64("alice")}` }],
  ["JWT claim", { path: "/nosql?via=jwt", headers: { authorization: `Bearer ${unsignedJwt({ q: "alice" })}` } }],
  ["filter of 30,000 objects", postJson("/nosql-filter", `{"filter":{"pad":[${"{},".repeat(30_000)}{}],"user":"alice"}}`)],
];

describe("NoSQL injection evasion", () => {
  const recorder = new MongoRecorder();
  let mongoUrl = "";
  before(async () => {
    mongoUrl = await recorder.start();
  });
  after(() => recorder.stop());

  const current = useEvasionApp(() => ({ MONGO_URL: mongoUrl }));

  const cases: EvasionCase[] = [
    ...attacks.map(([name, request]) => ({ name, request, status: 403 })),
    ...benign.map(([name, request]) => ({ name: `benign ${name}`, request, status: 200 })),
  ];
  runCases(current, "findOne filter", "nosql_injection", cases);
});
