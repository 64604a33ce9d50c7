import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AllowList,
  judgeConnection,
  parseIPv4,
  parseIPv6,
  targetFromUrl,
  type RequestTarget,
} from "../../../src/detectors/ssrf";
import type { UserInput } from "../../../src/detectors/types";
import { corpusSkipReason, loadCorpus, type CorpusEntry } from "../../helpers/corpus";

// Corpus URLs are only parsed here: nothing is resolved or fetched. Host names get answers from
// the injected resolver, never from DNS.

const skip = corpusSkipReason();
const none = new AllowList([]);

/** Returns the URL an app would request: the payload itself, or `http://<payload>/` for a bare host. */
function requestedTarget(entry: CorpusEntry): RequestTarget | undefined {
  const payload = entry.payload ?? "";
  const url = entry.context === "url-host" ? `http://${payload}/` : payload;
  return targetFromUrl(url);
}

function isLiteral(hostname: string): boolean {
  return parseIPv4(hostname) !== undefined || parseIPv6(hostname) !== undefined;
}

/** Judges an entry as an HTTP client request; undefined when the URL is not http(s). */
function judge(entry: CorpusEntry, resolveName: (name: string) => string): boolean | undefined {
  const target = requestedTarget(entry);
  if (target === undefined || !/^https?:/i.test(target.text)) return undefined;

  const input: UserInput = { source: "query", path: "query.url", value: entry.payload ?? "" };
  const address = isLiteral(target.hostname) ? target.hostname : resolveName(target.hostname);
  const connection = {
    origin: target,
    hostname: target.hostname,
    redirected: false,
    addresses: [address],
  };
  return judgeConnection(connection, [input], none) !== undefined;
}

function rate(entries: readonly CorpusEntry[], resolveName: (name: string) => string) {
  let flagged = 0;
  let judged = 0;
  const missed: string[] = [];
  for (const entry of entries) {
    const verdict = judge(entry, resolveName);
    if (verdict === undefined) continue;
    judged++;
    if (verdict) flagged++;
    else missed.push(entry.payload ?? "");
  }
  return { flagged, judged, missed };
}

describe("SSRF corpus", { skip }, () => {
  const attacks = skip === undefined ? loadCorpus("ssrf") : [];
  const benign = skip === undefined ? loadCorpus("benign") : [];

  test("http attacks with literal hosts found", () => {
    // Names get a public answer here, so only literal addresses and internal names count.
    const result = rate(attacks, () => "93.184.215.14");
    const nonHttp = attacks.length - result.judged;
    console.log(
      `# ssrf corpus, names resolved public: ${result.flagged}/${result.judged} http(s) URLs flagged, ${nonHttp} other schemes not applicable`,
    );
    console.log(`# missed: ${JSON.stringify(result.missed)}`);
    for (const payload of result.missed) {
      const hostname = targetFromUrl(payload)?.hostname ?? "";
      assert.ok(!isLiteral(hostname), `literal internal host missed: ${payload}`);
    }
  });

  test("http attacks with names resolving to loopback found", () => {
    const result = rate(attacks, () => "127.0.0.1");
    console.log(
      `# ssrf corpus, names resolved to 127.0.0.1: ${result.flagged}/${result.judged} flagged`,
    );
    assert.deepEqual(result.missed, []);
  });

  test("benign URLs pass", () => {
    const urls = benign.filter((entry) => entry.context === "url" || entry.context === "url-host");
    const result = rate(urls, () => "93.184.215.14");
    console.log(
      `# benign url inputs: ${result.flagged}/${result.judged} flagged (${urls.length} in url contexts)`,
    );
    assert.equal(result.flagged, 0);
  });

  test("benign inputs in path of fixed internal host pass", () => {
    let flagged = 0;
    for (const entry of benign) {
      const value = entry.payload ?? JSON.stringify(entry.payload_json);
      const target = targetFromUrl(`http://api.internal:8080/users/${value}`);
      if (target === undefined) continue;

      const input: UserInput = { source: "query", path: "query.id", value };
      const connection = {
        origin: target,
        hostname: "api.internal",
        redirected: false,
        addresses: ["10.0.0.3"],
      };
      if (judgeConnection(connection, [input], none) !== undefined) flagged++;
    }
    console.log(
      `# benign inputs as path of a fixed internal host: ${flagged}/${benign.length} flagged`,
    );
    assert.equal(flagged, 0);
  });
});
