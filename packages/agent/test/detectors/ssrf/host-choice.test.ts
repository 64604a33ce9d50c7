import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AllowList,
  classifyHostName,
  findHostChooser,
  hostSpan,
  judgeConnection,
  parseAllowEntry,
  targetFromParts,
  targetFromUrl,
  type RequestTarget,
} from "../../../src/detectors/ssrf";
import type { UserInput } from "../../../src/detectors/types";

function query(value: string, name = "url"): UserInput {
  return { source: "query", path: `query.${name}`, value };
}

function target(url: string): RequestTarget {
  const result = targetFromUrl(url);
  assert.ok(result, `not a URL: ${url}`);
  return result;
}

describe("hostSpan", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ["http://127.0.0.1:8080/x", "127.0.0.1"],
    ["http://user:pw@internal.test/", "internal.test"],
    ["http://a@b@0x7f.1/", "0x7f.1"],
    ["http://[::1]:80/", "[::1]"],
    ["http:\\\\localhost\\x", "localhost"],
    ["https://example.com?q=1", "example.com"],
    ["http:///127.0.0.1/", "127.0.0.1"],
  ];
  for (const [url, host] of cases) {
    test(`host of ${url}`, () => {
      const span = hostSpan(url);
      assert.ok(span);
      assert.equal(url.slice(span.start, span.end), host);
    });
  }

  test("relative URL has no host", () => {
    assert.equal(hostSpan("/path/only"), undefined);
  });
});

describe("findHostChooser", () => {
  test("whole URL from input chooses host", () => {
    const url = "http://127.0.0.1:8080/admin";
    assert.equal(findHostChooser(target(url), [query(url)])?.path, "query.url");
  });

  test("host part from input chooses host", () => {
    const chosen = findHostChooser(target("http://10.0.0.5:9000/x"), [query("10.0.0.5", "host")]);
    assert.equal(chosen?.path, "query.host");
  });

  test("user path on fixed host is not chosen", () => {
    const url = "http://api.internal/users/42";
    assert.equal(findHostChooser(target(url), [query("42", "id")]), undefined);
  });

  test("input equal to host but placed in query is not chosen", () => {
    const url = "http://api.internal/search?q=api.internal";
    assert.equal(findHostChooser(target(url), [query("api.internal", "q")]), undefined);
  });

  test("parsed URL in other notation chooses host", () => {
    // The app ran new URL(input) and passed the URL object, whose href contains 127.0.0.1.
    const chosen = findHostChooser(target("http://127.0.0.1/"), [query("http://0x7f.1/")]);
    assert.equal(chosen?.path, "query.url");
  });

  test("upper-case scheme parsed by the app chooses host", () => {
    const chosen = findHostChooser(target("http://127.0.0.1/x"), [query("HTTP://127.0.0.1/x")]);
    assert.equal(chosen?.path, "query.url");
  });

  test("Host header of the app on another port is not chosen", () => {
    const host: UserInput = { source: "headers", path: "headers.host", value: "127.0.0.1:3000" };
    assert.equal(findHostChooser(target("http://127.0.0.1:4000/users/1"), [host]), undefined);
  });

  test("Referer with another port is not chosen", () => {
    const referer: UserInput = {
      source: "headers",
      path: "headers.referer",
      value: "HTTP://127.0.0.1:3000/page",
    };
    assert.equal(findHostChooser(target("http://127.0.0.1:4000/users/1"), [referer]), undefined);
  });

  test("browser-set headers never choose host", () => {
    const url = "https://app.example.com/api/session";
    const headers: UserInput[] = [
      { source: "headers", path: "headers.host", value: "app.example.com" },
      { source: "headers", path: "headers.origin", value: "https://app.example.com" },
      { source: "headers", path: "headers.referer", value: "https://app.example.com/page" },
    ];
    assert.equal(findHostChooser(target(url), headers), undefined);
  });

  test("custom header chooses host", () => {
    const header: UserInput = {
      source: "headers",
      path: "headers.x-target",
      value: "http://10.0.0.5/",
    };
    assert.equal(findHostChooser(target("http://10.0.0.5/"), [header])?.path, "headers.x-target");
  });

  test("path segment equal to service name not chosen", () => {
    const segment: UserInput = { source: "path", path: "path.1", value: "users" };
    assert.equal(findHostChooser(target("http://users:8080/v1/list"), [segment]), undefined);
  });

  test("path segment holding a whole URL chooses host", () => {
    const segment: UserInput = { source: "path", path: "path.1", value: "http://10.0.0.5:8080" };
    assert.equal(findHostChooser(target("http://10.0.0.5:8080/"), [segment])?.path, "path.1");
  });

  test("options object host from input chooses host", () => {
    const built = targetFromParts("http:", "internal.test", "8080", "/x");
    assert.equal(built.text, "http://internal.test:8080/x");
    assert.equal(findHostChooser(built, [query("internal.test", "host")])?.path, "query.host");
  });

  test("IPv6 options host gets brackets", () => {
    const built = targetFromParts("http:", "::1", "80", "/");
    assert.equal(built.text, "http://[::1]:80/");
    assert.equal(built.hostname, "::1");
  });
});

describe("classifyHostName", () => {
  test("localhost names are loopback", () => {
    for (const name of ["localhost", "LOCALHOST.", "api.localhost", "localhost.localdomain"]) {
      assert.equal(classifyHostName(name), "loopback", name);
    }
  });

  test("metadata names are cloud-metadata", () => {
    for (const name of ["metadata.google.internal", "metadata.google.internal.", "metadata.goog"]) {
      assert.equal(classifyHostName(name), "cloud-metadata", name);
    }
  });

  test("look-alike names are not classified", () => {
    for (const name of ["localhost.example.com", "metadata.example.com", "mylocalhost"]) {
      assert.equal(classifyHostName(name), undefined, name);
    }
  });
});

describe("AllowList", () => {
  const allowList = new AllowList(["billing.internal", "10.1.0.0/16", "fd12::/16", "192.168.5.5"]);

  test("listed name allowed", () => {
    assert.ok(allowList.allows("Billing.Internal.", ["10.9.9.9"]));
  });

  test("addresses inside listed block allowed", () => {
    assert.ok(allowList.allows("db.test", ["10.1.2.3"]));
    assert.ok(allowList.allows("db.test", ["fd12::5"]));
    assert.ok(allowList.allows("192.168.5.5", []));
  });

  test("one address outside the list not allowed", () => {
    assert.ok(!allowList.allows("db.test", ["10.1.2.3", "10.2.0.1"]));
    assert.ok(!allowList.allows("other.internal", ["192.168.5.6"]));
  });

  test("invalid entries rejected", () => {
    for (const entry of ["10.0.0.0/33", "::/129", "bad host", "name/8", ""]) {
      assert.equal(parseAllowEntry(entry), undefined, entry);
    }
  });
});

describe("judgeConnection", () => {
  const none = new AllowList([]);

  test("metadata refused without input", () => {
    const origin = target("http://metadata.test/latest");
    const finding = judgeConnection(
      { origin, hostname: "metadata.test", redirected: false, addresses: ["169.254.169.254"] },
      [],
      none,
    );
    assert.equal(finding?.reason, "cloud-metadata");
    assert.equal(finding?.input, undefined);
  });

  test("metadata refused even when allow-listed", () => {
    const origin = target("http://169.254.169.254/");
    const allowList = new AllowList(["169.254.0.0/16"]);
    const connection = {
      origin,
      hostname: "169.254.169.254",
      redirected: false,
      addresses: ["169.254.169.254"],
    };
    assert.equal(judgeConnection(connection, [], allowList)?.reason, "cloud-metadata");
  });

  test("user-chosen private address found", () => {
    const url = "http://private.test/";
    const connection = {
      origin: target(url),
      hostname: "private.test",
      redirected: false,
      addresses: ["10.0.0.7"],
    };
    const finding = judgeConnection(connection, [query(url)], none);
    assert.equal(finding?.reason, "internal-address-private");
    assert.equal(finding?.input?.path, "query.url");
    assert.equal(finding?.offset, "http://".length);
  });

  test("user-chosen public address passes", () => {
    const url = "http://example.test/";
    const connection = {
      origin: target(url),
      hostname: "example.test",
      redirected: false,
      addresses: ["93.184.215.14"],
    };
    assert.equal(judgeConnection(connection, [query(url)], none), undefined);
  });

  test("fixed internal host passes", () => {
    const connection = {
      origin: target("http://db.internal/users/1"),
      hostname: "db.internal",
      redirected: false,
      addresses: ["10.0.0.3"],
    };
    assert.equal(judgeConnection(connection, [query("1", "id")], none), undefined);
  });

  test("allow-listed user-chosen host passes", () => {
    const url = "http://billing.internal/";
    const connection = {
      origin: target(url),
      hostname: "billing.internal",
      redirected: false,
      addresses: ["10.0.0.9"],
    };
    assert.equal(
      judgeConnection(connection, [query(url)], new AllowList(["billing.internal"])),
      undefined,
    );
  });

  test("redirect from allowed host to internal found", () => {
    const url = "http://billing.internal/next";
    const connection = {
      origin: target(url),
      hostname: "127.0.0.1",
      redirected: true,
      addresses: ["127.0.0.1"],
    };
    const finding = judgeConnection(connection, [query(url)], new AllowList(["billing.internal"]));
    assert.equal(finding?.reason, "redirect-to-internal");
  });

  test("header naming the app itself passes", () => {
    const host: UserInput = {
      source: "headers",
      path: "headers.x-backend",
      value: "127.0.0.1:3000",
    };
    const connection = {
      origin: target("http://127.0.0.1:3000/internal/job"),
      hostname: "127.0.0.1",
      redirected: false,
      addresses: ["127.0.0.1"],
      toSelf: true,
    };
    assert.equal(judgeConnection(connection, [host], none), undefined);
    assert.equal(
      judgeConnection({ ...connection, toSelf: false }, [host], none)?.input?.path,
      "headers.x-backend",
    );
  });
});
