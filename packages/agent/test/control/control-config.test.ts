import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { readControlSettings } from "../../src/control/control-config";
import { EventBuffer } from "../../src/control/event-buffer";
import { startApp } from "../helpers/app-process";

describe("control plane settings", () => {
  test("valid URL and token", () => {
    const { settings, problems } = readControlSettings({
      RAMPART_CONTROL_URL: "http://127.0.0.1:7400/rampart",
      RAMPART_TOKEN: "rpt_secret",
      RAMPART_INSTANCE: "pod-7",
    });
    assert.deepEqual(problems, []);
    assert.equal(settings?.baseUrl.href, "http://127.0.0.1:7400/rampart/");
    assert.equal(settings?.instance, "pod-7");
    assert.equal(settings?.bufferEvents, 10_000);
  });

  test("instance defaults to host and pid", () => {
    const { settings } = readControlSettings({
      RAMPART_CONTROL_URL: "https://control.example",
      RAMPART_TOKEN: "rpt_secret",
    });
    assert.match(settings?.instance ?? "", new RegExp(`-${process.pid}$`));
  });

  test("invalid URLs are problems", () => {
    for (const url of [
      "ftp://127.0.0.1",
      "not a url",
      "http://user:pw@127.0.0.1",
      "http://h/?q=1",
    ]) {
      const { settings, problems } = readControlSettings({
        RAMPART_CONTROL_URL: url,
        RAMPART_TOKEN: "rpt_secret",
      });
      assert.equal(settings, undefined, url);
      assert.equal(problems[0]?.variable, "RAMPART_CONTROL_URL", url);
    }
  });

  test("token problems never show the token", () => {
    const { settings, problems } = readControlSettings({
      RAMPART_CONTROL_URL: "http://127.0.0.1:7400",
      RAMPART_TOKEN: "rpt secret with spaces",
    });
    assert.equal(settings, undefined);
    assert.equal(problems[0]?.variable, "RAMPART_TOKEN");
    assert.equal(problems[0]?.value, "(hidden)");
  });

  test("missing token and missing URL", () => {
    assert.equal(
      readControlSettings({ RAMPART_CONTROL_URL: "http://127.0.0.1:7400" }).problems[0]?.variable,
      "RAMPART_TOKEN",
    );
    assert.equal(
      readControlSettings({ RAMPART_TOKEN: "rpt_secret" }).problems[0]?.variable,
      "RAMPART_CONTROL_URL",
    );
    assert.deepEqual(readControlSettings({}), { settings: undefined, problems: [] });
  });

  test("buffer size out of range", () => {
    const { settings, problems } = readControlSettings({
      RAMPART_CONTROL_URL: "http://127.0.0.1:7400",
      RAMPART_TOKEN: "rpt_secret",
      RAMPART_CONTROL_BUFFER: "5",
    });
    assert.equal(problems[0]?.variable, "RAMPART_CONTROL_BUFFER");
    assert.equal(settings?.bufferEvents, 10_000);
  });
});

describe("control event buffer", () => {
  test("full buffer drops the oldest", () => {
    const buffer = new EventBuffer<number>(3);
    const dropped = [1, 2, 3, 4, 5].map((item) => buffer.push(item));
    assert.deepEqual(dropped, [0, 0, 0, 1, 1]);
    assert.deepEqual(buffer.drain(), [3, 4, 5]);
  });

  test("put back goes first and trims", () => {
    const buffer = new EventBuffer<number>(4);
    for (const item of [1, 2, 3, 4]) buffer.push(item);
    const batch = buffer.take(3);
    assert.deepEqual(batch, [1, 2, 3]);
    buffer.push(5);
    buffer.push(6);
    assert.equal(buffer.putBack(batch), 2);
    assert.deepEqual(buffer.drain(), [3, 4, 5, 6]);
  });
});

test("invalid control URL leaves the app running", async () => {
  const app = await startApp({
    script: "frameworks/express.cjs",
    loader: "require",
    env: {
      FRAMEWORK: "express4",
      RAMPART_CONTROL_URL: "ftp://127.0.0.1:7400",
      RAMPART_TOKEN: "rpt_do_not_log_me",
    },
  });
  try {
    const response = await fetch(
      `${app.url}/query?filter[name]=${encodeURIComponent("x' OR '1'='1")}`,
    );
    assert.equal(response.status, 403);
    assert.match(app.stderr(), /invalid RAMPART_CONTROL_URL/);
    assert.doesNotMatch(app.stderr(), /rpt_do_not_log_me/);
  } finally {
    await app.stop();
  }
});
