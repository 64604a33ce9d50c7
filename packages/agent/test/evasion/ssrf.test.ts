// SSRF tricks against a route that fetches the value. The target is a loopback server on another
// port than the app's, and the fixture's network guard refuses any connection outside loopback.
// (A call back to the app's own port chosen by a header is not an attack by the SSRF rule.)
import { after, before, describe } from "node:test";

import { startSsrfTarget, type SsrfTarget } from "../helpers/ssrf-target";
import { casesForValues, runCases, useEvasionApp, type EvasionValue } from "./evasion-app";

// prettier-ignore
const attacks: EvasionValue[] = [
  (port) => `http://127.0.0.1:${port}/pong`,
  (port) => `HTTP://127.0.0.1:${port}/pong`,
  (port) => `http://localhost:${port}/pong`,
  (port) => `http://LocalHost:${port}/pong`,
  (port) => `http://127.1:${port}/pong`,
  (port) => `http://2130706433:${port}/pong`,
  (port) => `http://0x7f000001:${port}/pong`,
  (port) => `http://0177.0.0.1:${port}/pong`,
  (port) => `http://0x7f.0.0.1:${port}/pong`,
  (port) => `http://127.0.0.1.:${port}/pong`,
  (port) => `http://[::1]:${port}/pong`,
  (port) => `http://[::ffff:127.0.0.1]:${port}/pong`,
  (port) => `http://[::ffff:7f00:1]:${port}/pong`,
  (port) => `http://１２７.０.０.１:${port}/pong`,
  (port) => `http://service.test:${port}/pong`,
  (port) => `http://allowed.test@127.0.0.1:${port}/pong`,
  (port) => `http://127.0.0.1:${port}/pong#@allowed.test`,
  (port) => `http:127.0.0.1:${port}/pong`,
  (port) => `http:\\\\127.0.0.1:${port}\\pong`,
  (port) => `http://%31%32%37.0.0.1:${port}/pong`,
  (port) => `http://private.test:${port}/pong`,
];

const benign: EvasionValue[] = [
  (port) => `http://allowed.test:${port}/pong`,
  (port) => `http://allowed.test:${port}/pong?next=127.0.0.1`,
  (port) => `HTTP://ALLOWED.test:${port}/pong`,
];

describe("SSRF evasion", () => {
  const current = useEvasionApp({ RAMPART_SSRF_ALLOW_HOSTS: "allowed.test" });
  let target: SsrfTarget;
  before(async () => {
    target = await startSsrfTarget();
    current.targetPort = String(target.port);
  });
  after(() => target.close());

  runCases(current, "fetched URL", "ssrf", casesForValues("ssrf", { attacks, benign }));
});
