import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  classifyIpLiteral,
  formatIPv4,
  parseIPv4,
  parseIPv6,
  type AddressCategory,
} from "../../../src/detectors/ssrf";

describe("parseIPv4", () => {
  const loopbackForms = [
    "127.0.0.1",
    "2130706433",
    "0177.0.0.1",
    "0177.0000.0000.0001",
    "0x7f.0.0.1",
    "0x7F.0x0.0x0.0x1",
    "0x7f000001",
    "0x7f.1",
    "127.1",
    "127.0.1",
    "017700000001",
    "127.0.0.1.",
  ];
  for (const form of loopbackForms) {
    test(`${form} is 127.0.0.1`, () => {
      const parsed = parseIPv4(form);
      assert.notEqual(parsed, undefined);
      assert.equal(formatIPv4(parsed ?? 0), "127.0.0.1");
    });
  }

  const cases: ReadonlyArray<readonly [string, string]> = [
    ["0", "0.0.0.0"],
    ["0x", "0.0.0.0"],
    ["169.254.43518", "169.254.169.254"],
    ["0xa9fea9fe", "169.254.169.254"],
    ["2852039166", "169.254.169.254"],
    ["0251.0376.0251.0376", "169.254.169.254"],
    ["10.1", "10.0.0.1"],
    ["4294967295", "255.255.255.255"],
  ];
  for (const [form, dotted] of cases) {
    test(`${form} is ${dotted}`, () => {
      assert.equal(formatIPv4(parseIPv4(form) ?? -1), dotted);
    });
  }

  for (const invalid of [
    "",
    "1.2.3.4.5",
    "256.0.0.1",
    "4294967296",
    "1.2.3.256",
    "08.0.0.1",
    "0xg.1",
    "a.b",
    "1..2",
    "example.com",
    "127.0.0.1..",
    "-1",
  ]) {
    test(`${JSON.stringify(invalid)} is not IPv4`, () => {
      assert.equal(parseIPv4(invalid), undefined);
    });
  }
});

describe("parseIPv6", () => {
  const cases: ReadonlyArray<readonly [string, readonly number[]]> = [
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["[::1]", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["::ffff:7f00:1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["fe80::1%eth0", [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ["fe80::1%25eth0", [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ["fd00:ec2::254", [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]],
    ["2001:db8:0:0:1:0:0:1", [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]],
    ["0:0:0:0:0:0:0:1", [0, 0, 0, 0, 0, 0, 0, 1]],
  ];
  for (const [text, words] of cases) {
    test(`parses ${text}`, () => {
      assert.deepEqual(parseIPv6(text), words);
    });
  }

  for (const invalid of [
    "1::2::3",
    ":::1",
    "12345::1",
    "::ffff:127.1",
    "::g",
    "1:2:3:4:5:6:7:8:9",
    "127.0.0.1",
    "example.com",
    "::ffff:01.0.0.1",
  ]) {
    test(`${invalid} is not IPv6`, () => {
      assert.equal(parseIPv6(invalid), undefined);
    });
  }
});

describe("classifyIpLiteral", () => {
  const cases: ReadonlyArray<readonly [string, AddressCategory]> = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0x7f.1", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::127.0.0.1", "loopback"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["172.15.255.255", "public"],
    ["192.168.1.1", "private"],
    ["::ffff:192.168.0.1", "private"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["100.64.0.1", "shared-address-space"],
    ["100.127.255.255", "shared-address-space"],
    ["100.128.0.1", "public"],
    ["fc00::1", "unique-local"],
    ["fdff::1", "unique-local"],
    ["0.0.0.0", "unspecified"],
    ["0", "unspecified"],
    ["::", "unspecified"],
    ["169.254.169.254", "cloud-metadata"],
    ["0xa9fea9fe", "cloud-metadata"],
    ["::ffff:169.254.169.254", "cloud-metadata"],
    ["64:ff9b::169.254.169.254", "cloud-metadata"],
    ["169.254.170.2", "cloud-metadata"],
    ["100.100.100.200", "cloud-metadata"],
    ["fd00:ec2::254", "cloud-metadata"],
    ["198.18.0.1", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["198.20.0.1", "public"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.1", "documentation"],
    ["2001:db8::1", "documentation"],
    ["8.8.8.8", "public"],
    ["93.184.215.14", "public"],
    ["2606:4700:4700::1111", "public"],
    ["64:ff9b::8.8.8.8", "public"],
  ];
  for (const [host, category] of cases) {
    test(`${host} is ${category}`, () => {
      assert.equal(classifyIpLiteral(host)?.category, category);
    });
  }

  test("host name is not a literal", () => {
    assert.equal(classifyIpLiteral("localhost"), undefined);
    assert.equal(classifyIpLiteral("169.254.example.com"), undefined);
  });
});
