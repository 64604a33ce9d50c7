import assert from "node:assert/strict";
import { test } from "node:test";

import fc from "fast-check";

import {
  AllowList,
  classifyIpLiteral,
  findHostChooser,
  formatIPv4,
  hostSpan,
  judgeConnection,
  parseIPv4,
  parseIPv6,
  targetFromUrl,
} from "../../../src/detectors/ssrf";
import type { UserInput } from "../../../src/detectors/types";

const runs = { numRuns: 500 };

/** Writes a number in decimal, octal (leading 0) or hexadecimal (0x), as inet_aton accepts. */
function writeNumber(value: number, radix: 8 | 10 | 16): string {
  if (radix === 8) return `0${value.toString(8)}`;
  if (radix === 16) return `0x${value.toString(16)}`;
  return value.toString(10);
}

const radix = fc.constantFrom<8 | 10 | 16>(8, 10, 16);

/** Splits an address into 1 to 4 parts, the last one covering the remaining bytes. */
const encodedIPv4 = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: 1, max: 4 }),
    fc.array(radix, { minLength: 4, maxLength: 4 }),
  )
  .map(([address, partCount, radixes]) => {
    const bytes = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
    const leading = bytes.slice(0, partCount - 1);
    const rest = bytes.slice(partCount - 1).reduce((sum, byte) => sum * 256 + byte, 0);
    const parts = [...leading, rest].map((value, index) =>
      writeNumber(value, radixes[index] ?? 10),
    );
    return { address, text: parts.join(".") };
  });

test("IPv4 parse agrees with encoding", () => {
  fc.assert(
    fc.property(encodedIPv4, ({ address, text }) => {
      assert.equal(parseIPv4(text), address, text);
    }),
    runs,
  );
});

test("IPv4 parse agrees with WHATWG URL", () => {
  fc.assert(
    fc.property(encodedIPv4, ({ address, text }) => {
      assert.equal(new URL(`http://${text}/`).hostname, formatIPv4(address), text);
    }),
    runs,
  );
});

test("digits and dots agree with WHATWG URL", () => {
  // Texts of the characters that the canonical form uses: any mix of decimal parts, leading zeros
  // (octal), empty parts and trailing dots.
  const digitsAndDots = fc.string({
    unit: fc.constantFrom(..."0123456789."),
    minLength: 1,
    maxLength: 20,
  });
  fc.assert(
    fc.property(digitsAndDots, (text) => {
      let urlHost: string | undefined;
      try {
        urlHost = new URL(`http://${text}/`).hostname;
      } catch {
        urlHost = undefined;
      }
      // WHATWG reads a host whose last part is not a number (`.`, `1..`) as a domain name.
      if (urlHost !== undefined && !/^\d+\.\d+\.\d+\.\d+$/.test(urlHost)) return;

      const parsed = parseIPv4(text);
      assert.equal(parsed === undefined ? undefined : formatIPv4(parsed), urlHost, text);
    }),
    { numRuns: 3000 },
  );
});

test("IPv6 parse agrees with WHATWG URL", () => {
  const words = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
  fc.assert(
    fc.property(words, (value) => {
      const text = value.map((word) => word.toString(16)).join(":");
      const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      assert.deepEqual(parseIPv6(canonical), value, canonical);
    }),
    runs,
  );
});

test("detector functions never throw", () => {
  const inputs = fc.array(
    fc.record({
      source: fc.constant("query" as const),
      path: fc.constant("query.q"),
      value: fc.string(),
    }),
    { maxLength: 4 },
  );
  const none = new AllowList([]);
  fc.assert(
    fc.property(fc.string(), fc.string(), inputs, (host, url, userInputs: UserInput[]) => {
      parseIPv4(host);
      parseIPv6(host);
      classifyIpLiteral(host);
      hostSpan(url);
      new AllowList([host, url]).allows(host, [url]);

      const target = targetFromUrl(`http://${host}/`) ?? targetFromUrl(url);
      if (target === undefined) return;
      findHostChooser(target, userInputs);
      judgeConnection(
        { origin: target, hostname: host, redirected: false, addresses: [host, url] },
        userInputs,
        none,
      );
    }),
    { numRuns: 2000 },
  );
});

test("public target never found", () => {
  // Addresses 11.0.0.0 - 99.255.255.255 are public unicast: no finding, even when an input chose them.
  const publicAddress = fc.integer({ min: 11 * 2 ** 24, max: 100 * 2 ** 24 - 1 }).map(formatIPv4);
  const none = new AllowList([]);
  fc.assert(
    fc.property(publicAddress, (address) => {
      const url = `http://${address}/`;
      const target = targetFromUrl(url);
      assert.ok(target);
      const connection = {
        origin: target,
        hostname: address,
        redirected: false,
        addresses: [address],
      };
      assert.equal(
        judgeConnection(connection, [{ source: "query", path: "query.url", value: url }], none),
        undefined,
      );
    }),
    runs,
  );
});
