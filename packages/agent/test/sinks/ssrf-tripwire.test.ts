import assert from "node:assert/strict";
import { createRequire } from "node:module";
import net from "node:net";
import { test } from "node:test";

// Checks the test-only network guard of the SSRF fixtures, without the agent. Non-loopback
// addresses appear only as strings passed to the guarded handle method on a fake receiver: if
// the tripwire failed, the original native method would reject the receiver before any syscall.

const require = createRequire(import.meta.url);
const guard = require("../fixtures/ssrf-network-guard.cjs") as {
  refused: number;
  seen: string[];
  isLoopback(address: string): boolean;
};

interface TcpBinding {
  TCP: { prototype: Record<"connect" | "connect6", (...args: unknown[]) => unknown> };
}
const { TCP } = (process as unknown as { binding(name: string): TcpBinding }).binding("tcp_wrap");

test("tripwire refuses documentation IPv4", () => {
  assert.equal(TCP.prototype.connect.call({}, {}, "192.0.2.1", 9), guard.refused);
});

test("tripwire refuses documentation IPv6", () => {
  assert.equal(TCP.prototype.connect6.call({}, {}, "2001:db8::1", 9), guard.refused);
});

test("tripwire classifies loopback only", () => {
  for (const address of ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"]) {
    assert.ok(guard.isLoopback(address), address);
  }
  for (const address of [
    "169.254.169.254",
    "10.0.0.1",
    "0.0.0.0",
    "::",
    "fd00:ec2::254",
    "192.0.2.1",
  ]) {
    assert.ok(!guard.isLoopback(address), address);
  }
});

test("tripwire sits on node:net connect path", async () => {
  const server = net.createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  try {
    const before = guard.seen.length;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve();
      });
      socket.on("error", reject);
    });
    assert.ok(guard.seen.slice(before).includes("127.0.0.1"));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
