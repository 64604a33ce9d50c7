import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Ajv2020 } from "ajv/dist/2020.js";

import { corpusSkipReason, loadCorpus } from "../helpers/corpus";

import { isSensitivePath } from "../../src/gate/attack-wave";
import { compileIpRules } from "../../src/gate/ip-rules";
import { compilePathMatcher, requestPathOf } from "../../src/gate/route-pattern";
import { scannerUserAgents } from "../../src/gate/scanner-agents";
import { gatePolicySchema } from "../../src/gate/schema";
import { MemoryStore } from "../../src/gate/stores/memory-store";
import { compileUserAgentRules } from "../../src/gate/user-agent-rules";

describe("gate IP rules", () => {
  const rules = compileIpRules(
    ["10.1.2.3", "2001:db8:0:1::/64"],
    ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "fe80::1"],
  )!;

  it("matches IPv4 CIDR blocks and addresses", () => {
    assert.equal(rules.judge("10.200.3.4"), "deny");
    assert.equal(rules.judge("192.0.2.7"), "deny");
    assert.equal(rules.judge("192.0.2.8"), undefined);
    assert.equal(rules.judge("11.0.0.1"), undefined);
  });

  it("matches IPv6 CIDR blocks and addresses", () => {
    assert.equal(rules.judge("2001:db8:ffff::1"), "deny");
    assert.equal(rules.judge("fe80::1"), "deny");
    assert.equal(rules.judge("fe80::2"), undefined);
    assert.equal(rules.judge("2001:db9::1"), undefined);
  });

  it("lets the allow list win", () => {
    assert.equal(rules.judge("10.1.2.3"), "allow");
    assert.equal(rules.judge("2001:db8:0:1::99"), "allow");
  });

  it("matches IPv4-mapped IPv6 addresses", () => {
    assert.equal(rules.judge("::ffff:10.9.9.9"), "deny");
    assert.equal(rules.judge("::ffff:10.1.2.3"), "allow");
  });

  it("rejects invalid entries", () => {
    for (const entry of [
      "10.0.0.0/33",
      "not-an-ip",
      "10.0.0.0/8/1",
      "2001:db8::/129",
      "10.0.0.0/-1",
    ]) {
      assert.throws(() => compileIpRules(undefined, [entry]), /invalid/, entry);
    }
  });

  it("compiles empty lists to nothing", () => {
    assert.equal(compileIpRules([], []), undefined);
  });
});

describe("gate user-agent rules", () => {
  it("finds every built-in tool case-insensitively", () => {
    const rules = compileUserAgentRules({})!;
    for (const token of scannerUserAgents) {
      assert.equal(rules.match(`Prefix ${token.toUpperCase()}/1.0`), token);
    }
  });

  it("turns the built-in list off", () => {
    const rules = compileUserAgentRules({ builtinScanners: false, deny: ["BadBot"] })!;
    assert.equal(rules.match("sqlmap/1.8"), undefined);
    assert.equal(rules.match("x badbot y"), "badbot");
  });

  it("exempts allow-listed agents", () => {
    const rules = compileUserAgentRules({ allow: ["InternalNessusProbe"] })!;
    assert.equal(rules.match("InternalNessusProbe/2"), undefined);
    assert.equal(rules.match("Nessus SOAP"), "nessus");
  });

  it("treats patterns as text, not regular expressions", () => {
    const rules = compileUserAgentRules({ builtinScanners: false, deny: ["(a+)+$"] })!;
    const started = performance.now();
    assert.equal(rules.match(`${"a".repeat(50_000)}!`), undefined);
    assert.equal(rules.match("x(a+)+$y"), "(a+)+$");
    assert.ok(performance.now() - started < 50);
  });
});

describe("gate route patterns", () => {
  it("matches literal, parameter and tail patterns", () => {
    assert.equal(compilePathMatcher("/login")("/login"), true);
    assert.equal(compilePathMatcher("/login")("/login2"), false);
    assert.equal(compilePathMatcher("/users/:id")("/users/7"), true);
    assert.equal(compilePathMatcher("/users/:id")("/users/7/orders"), false);
    assert.equal(compilePathMatcher("/users/:id")("/users/"), false);
    assert.equal(compilePathMatcher("/api/*")("/api"), true);
    assert.equal(compilePathMatcher("/api/*")("/api/a/b"), true);
    assert.equal(compilePathMatcher("/api/*")("/apis"), false);
  });

  it("strips the query and a trailing slash", () => {
    assert.equal(requestPathOf("/login/?next=/x"), "/login");
    assert.equal(requestPathOf("/a#frag"), "/a");
    assert.equal(requestPathOf("/"), "/");
  });
});

describe("gate sensitive paths", () => {
  it("recognises probes and leaves app paths alone", () => {
    for (const path of [
      "/.env",
      "/.GIT/config",
      "/wp-admin",
      "/phpmyadmin/index.php",
      "/actuator/health",
      "/.aws/credentials",
    ]) {
      assert.equal(isSensitivePath(path), true, path);
    }
    for (const path of ["/", "/environment", "/api/git", "/admin", "/login", "/wp-admin-guide"]) {
      assert.equal(isSensitivePath(path), false, path);
    }
  });
});

describe("gate memory store", () => {
  it("stays bounded with 100k distinct keys", () => {
    const store = new MemoryStore(1_000);
    for (let index = 0; index < 100_000; index++) store.increment(`key-${index}`, 60_000);
    assert.equal(store.size, 1_000);
    assert.equal(store.increment("key-99999", 60_000).count, 2, "recent keys survive");
    assert.equal(store.increment("key-0", 60_000).count, 1, "the oldest keys were evicted");
  });

  it("keeps a recently used key over older ones", () => {
    const store = new MemoryStore(3);
    store.increment("a", 60_000);
    store.increment("b", 60_000);
    store.increment("c", 60_000);
    store.increment("a", 60_000);
    store.increment("d", 60_000);
    assert.equal(store.increment("a", 60_000).count, 3);
    assert.equal(store.increment("b", 60_000).count, 1);
  });

  it("expires counters and markers", async () => {
    const store = new MemoryStore(10);
    store.increment("a", 20);
    store.mark("m", 20);
    assert.ok(store.markedFor("m") > 0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(store.increment("a", 20).count, 1);
    assert.equal(store.markedFor("m"), 0);
  });
});

describe("gate policy schema", () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(gatePolicySchema);

  it("accepts a full policy", () => {
    const policy = {
      blocking: {
        ip: { allow: ["10.0.0.1"], deny: ["10.0.0.0/8", "::1"] },
        users: { deny: ["u1"] },
        userAgents: { builtinScanners: true, deny: ["BadBot"] },
      },
      rateLimits: [
        {
          route: "/api/*",
          method: "GET",
          key: "header:x-api-key",
          limit: 10,
          windowSeconds: 60,
          algorithm: "sliding",
        },
      ],
      loginThrottling: {
        routes: [{ route: "/login", accountField: "user.email" }],
        failureStatuses: [401, 403],
        perIp: { failures: 20, windowSeconds: 600 },
        perAccount: { failures: 5, windowSeconds: 900, blockSeconds: 900 },
      },
      attackWaves: {
        windowSeconds: 60,
        probeThreshold: 5,
        detectionThreshold: 3,
        cooldownSeconds: 900,
        block: true,
      },
      store: { type: "redis", url: "redis://127.0.0.1:6379", timeoutMs: 50 },
    };
    assert.equal(validate(policy), true, JSON.stringify(validate.errors));
  });

  it("rejects invalid settings", () => {
    const invalid = [
      { rateLimits: [{ route: "api", limit: 1, windowSeconds: 1 }] },
      { rateLimits: [{ route: "/a", limit: 0, windowSeconds: 1 }] },
      { rateLimits: [{ route: "/a", key: "cookie:x", limit: 1, windowSeconds: 1 }] },
      { store: { type: "redis" } },
      { store: { type: "memory", maxEntries: 5 } },
      { loginThrottling: { routes: [] } },
      { blocking: { userAgents: { regex: ".*" } } },
    ];
    for (const policy of invalid) assert.equal(validate(policy), false, JSON.stringify(policy));
  });
});

describe("gate rules on benign corpus", { skip: corpusSkipReason() }, () => {
  const benign = loadCorpus("benign").filter((entry) => typeof entry.payload === "string");

  it("matches no benign text as a scanner", () => {
    const rules = compileUserAgentRules({})!;
    const flagged = benign.filter((entry) => rules.match(entry.payload!) !== undefined);
    console.log(`benign entries taken for scanners: ${flagged.length}/${benign.length}`);
    assert.deepEqual(
      flagged.map((entry) => entry.id),
      [],
    );
  });

  it("matches no benign path as a probe", () => {
    const paths = benign.filter(
      (entry) => entry.context === "url-path" || entry.context === "path-segment",
    );
    const flagged = paths.filter((entry) =>
      isSensitivePath(`/${entry.payload!.replace(/^\/+/, "")}`),
    );
    console.log(`benign paths taken for probes: ${flagged.length}/${paths.length}`);
    assert.deepEqual(
      flagged.map((entry) => entry.id),
      [],
    );
  });
});
