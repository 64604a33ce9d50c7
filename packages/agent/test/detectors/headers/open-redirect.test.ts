import assert from "node:assert/strict";
import { describe, test } from "node:test";

import fc from "fast-check";

import { readConfig } from "../../../src/config";
import {
  detectOpenRedirect,
  offsiteRedirectTarget,
  type RedirectPolicy,
} from "../../../src/detectors/headers";
import type { UserInput } from "../../../src/detectors/types";
import { corpusSkipReason, loadCorpus } from "../../helpers/corpus";

const policy: RedirectPolicy = {
  requestHost: "shop.test:8080",
  allowedHosts: ["pay.partner.test", "*.cdn.test"],
};

function next(value: string): UserInput[] {
  return [{ source: "query", path: "query.next", value }];
}

function reasonFor(location: string, input: string, withPolicy = policy): string | undefined {
  return detectOpenRedirect(location, withPolicy, next(input))?.reason;
}

describe("open redirect detector", () => {
  // prettier-ignore
  const attacks: [string, string][] = [
    ["absolute URL", "https://evil.example/login"],
    ["scheme-relative", "//evil.example"],
    ["scheme without slashes", "https:evil.example"],
    ["slash backslash", "/\\evil.example"],
    ["two backslashes", "\\\\evil.example"],
    ["leading tab", "\t//evil.example"],
    ["leading space", " //evil.example"],
    ["tab between slashes", "/\t/evil.example"],
    ["newline between slashes", "/\n/evil.example"],
    ["control character before", "\u0001//evil.example"],
    ["userinfo", "https://shop.test@evil.example/"],
    ["uppercase host", "HTTPS://EVIL.EXAMPLE/"],
    ["lookalike subdomain", "https://shop.test.evil.example/"],
  ];
  for (const [name, location] of attacks) {
    test(`${name} flagged`, () => {
      assert.equal(reasonFor(location, location), "user-controlled-host");
    });
  }

  test("input appended to scheme flagged", () => {
    assert.equal(reasonFor("https://evil.example/cb", "evil.example"), "user-controlled-host");
  });

  test("input joined after slash flagged", () => {
    // `res.redirect("/" + next)` with next = "/evil.example".
    assert.equal(reasonFor("//evil.example", "/evil.example"), "user-controlled-host");
  });

  test("encoded input naming host flagged", () => {
    assert.equal(
      reasonFor("https://evil.example/a%20b", "https://evil.example/a b"),
      "user-controlled-host",
    );
  });

  // prettier-ignore
  const safe: [string, string, string][] = [
    ["relative path", "/profile", "/profile"],
    ["relative query", "?next=/dashboard", "/dashboard"],
    ["path with input", "/search?q=evil.example", "evil.example"],
    ["encoded backslash", "/%5Cevil.example", "/\\evil.example"],
    ["own host", "http://shop.test:8080/home", "http://shop.test:8080/home"],
    ["own host other port", "https://shop.test/home", "https://shop.test/home"],
    ["allowed host", "https://pay.partner.test/checkout", "https://pay.partner.test/checkout"],
    ["allowed subdomain", "https://img.cdn.test/a.png", "https://img.cdn.test/a.png"],
    ["external host from app", "https://docs.example/guide", "guide"],
    ["input in external query", "https://docs.example/?ref=shop", "shop"],
    ["same-scheme relative", "http:evil.example", "http:evil.example"],
    ["javascript scheme", "javascript:alert(1)", "javascript:alert(1)"],
    ["short input", "https://ab.example/", "ab"],
  ];
  for (const [name, location, input] of safe) {
    test(`${name} passes`, () => {
      assert.equal(reasonFor(location, input), undefined);
    });
  }

  test("allowed subdomain pattern needs a dot", () => {
    assert.equal(
      reasonFor("https://evilcdn.test/", "https://evilcdn.test/"),
      "user-controlled-host",
    );
  });

  test("missing Host header treats every host as foreign", () => {
    const noHost = { requestHost: undefined, allowedHosts: [] };
    assert.equal(reasonFor("//shop.test", "//shop.test", noHost), "user-controlled-host");
  });

  test("allow list read from environment", () => {
    const { config } = readConfig({
      RAMPART_REDIRECT_ALLOW_HOSTS: " Pay.Partner.test, ,*.cdn.test ",
    });
    assert.deepEqual(config.redirectAllowHosts, ["pay.partner.test", "*.cdn.test"]);
    assert.deepEqual(readConfig({}).config.redirectAllowHosts, []);
  });

  test("no inputs passes", () => {
    assert.equal(detectOpenRedirect("//evil.example", policy, []), undefined);
  });
});

test("open redirect detector never throws", () => {
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({
      unit: fc.constantFrom(
        "/",
        "\\",
        ":",
        "//",
        "http",
        "s",
        "evil.example",
        "@",
        "?",
        "#",
        "\t",
        " ",
        "%",
      ),
      maxLength: 12,
    }),
  );
  fc.assert(
    fc.property(text, text, fc.option(text, { nil: undefined }), (location, input, host) => {
      const finding = detectOpenRedirect(
        location,
        { requestHost: host, allowedHosts: ["*.a"] },
        next(input),
      );
      if (finding !== undefined) assert.equal(finding.input?.value, input);
    }),
    { numRuns: 2000 },
  );
});

test("offsite target agrees with URL parser", () => {
  // Values that start with `/`, which the same-host shortcut reads, and arbitrary ones.
  const piece = fc.constantFrom(
    "/",
    "\\",
    "\t",
    "\n",
    "\r",
    " ",
    "evil.example",
    "a",
    ":",
    "@",
    "%2f",
    "?",
  );
  const location = fc.oneof(
    fc.string({ unit: piece, maxLength: 8 }).map((rest) => `/${rest}`),
    fc.string({ unit: piece, maxLength: 8 }),
  );
  const base = `http://${policy.requestHost}/`;
  fc.assert(
    fc.property(location, (value) => {
      let parsed: URL | undefined;
      try {
        parsed = new URL(value, base);
      } catch {
        parsed = undefined;
      }
      const leaves =
        parsed !== undefined &&
        (parsed.protocol === "http:" || parsed.protocol === "https:") &&
        parsed.hostname !== "shop.test" &&
        parsed.hostname !== "pay.partner.test" &&
        !parsed.hostname.endsWith(".cdn.test");
      assert.equal(
        offsiteRedirectTarget(value, policy) !== undefined,
        leaves,
        JSON.stringify(value),
      );
    }),
    { numRuns: 5000 },
  );
});

test("path-absolute location keeps host", () => {
  assert.equal(offsiteRedirectTarget("/products?page=2", policy), undefined);
  assert.equal(offsiteRedirectTarget("/", policy), undefined);
  assert.equal(offsiteRedirectTarget("/\t/evil.example", policy)?.hostname, "evil.example");
  assert.equal(offsiteRedirectTarget("/\\evil.example", policy)?.hostname, "evil.example");
  assert.equal(offsiteRedirectTarget("//evil.example", policy)?.hostname, "evil.example");
});

describe("open redirect corpus", { skip: corpusSkipReason() }, () => {
  test("benign redirect targets pass on their own host", () => {
    const ownHost = { requestHost: "example.com", allowedHosts: [] };
    const entries = loadCorpus("benign").filter(
      (entry) => entry.context === "redirect-location" && typeof entry.payload === "string",
    );
    const flagged = entries.filter((entry) => {
      const payload = entry.payload as string;
      return reasonFor(payload, payload, ownHost) !== undefined;
    });
    assert.ok(entries.length > 0);
    assert.deepEqual(
      flagged.map((entry) => entry.id),
      [],
    );
  });

  test("crlf redirect payloads stay relative", () => {
    // These payloads attack the header, not the host: none names a foreign host.
    const entries = loadCorpus("crlf").filter(
      (entry) => entry.context === "redirect-location" && typeof entry.payload === "string",
    );
    const flagged = entries.filter((entry) => {
      const payload = entry.payload as string;
      return (
        reasonFor(payload, payload, { requestHost: "127.0.0.1", allowedHosts: [] }) !== undefined
      );
    });
    assert.ok(entries.length > 0);
    assert.deepEqual(
      flagged.map((entry) => entry.id),
      [],
    );
  });
});
