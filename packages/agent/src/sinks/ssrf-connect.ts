import dns from "node:dns";
import net from "node:net";

import { failOpen } from "../failsafe";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";
import {
  inspectConnection,
  currentOutgoingRequest,
  rememberResolution,
  type OutgoingRequest,
} from "./ssrf-outgoing";

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
type LookupCallback = (error: Error | null, address?: unknown, family?: number) => void;
type Lookup = (hostname: string, options: unknown, callback: LookupCallback) => void;

interface ConnectOptions {
  host?: unknown;
  port?: unknown;
  path?: unknown;
  lookup?: unknown;
}

/** Request whose client call is on the stack: node:http opens its socket synchronously. */
let synchronousRequest: OutgoingRequest | undefined;

/** Runs `call` with `request` as the owner of any socket opened before it returns. */
export function withSynchronousRequest<T>(request: OutgoingRequest, call: () => T): T {
  const previous = synchronousRequest;
  synchronousRequest = request;
  try {
    return call();
  } finally {
    synchronousRequest = previous;
  }
}

/**
 * Returns true when undici (npm or Node's bundled copy) is opening the socket. Its sockets open
 * after promise hops, so they find their request in the outgoing scope (`runOutgoing`). App code that runs in the
 * same async context, such as a response callback, must not pass that request to its own sockets.
 */
function openedByUndici(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  return stack.includes("undici");
}

function owningRequest(): OutgoingRequest | undefined {
  if (synchronousRequest !== undefined) return synchronousRequest;

  const request = currentOutgoingRequest();
  return request !== undefined && openedByUndici() ? request : undefined;
}

/** Wraps a DNS lookup so that the addresses it returns are judged before the socket connects to them. */
function judgingLookup(lookup: Lookup, request: OutgoingRequest, port: number | undefined): Lookup {
  return function rampartLookup(hostname, options, callback) {
    const done = typeof options === "function" ? (options as LookupCallback) : callback;
    const lookupOptions = typeof options === "function" ? {} : options;

    lookup(hostname, lookupOptions, (error, address, family) => {
      if (error !== null && error !== undefined) {
        done(error, address, family);
        return;
      }

      const blocked = failOpen("ssrf.lookup", undefined, () => {
        const addresses = Array.isArray(address)
          ? address.map((entry: { address: string }) => entry.address)
          : [String(address)];
        rememberResolution(hostname, addresses);
        return inspectConnection(request, hostname, port, addresses);
      });
      if (blocked !== undefined) done(blocked);
      else done(error, address, family);
    });
  };
}

function portNumber(port: unknown): number | undefined {
  const value = Number(port);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

const blockedConnect = Symbol("blocked");

/**
 * Judges a TCP connection about to open for an outgoing request. An IP literal is judged now; a
 * name gets a judging `lookup`, so that the address actually connected is judged after DNS and a
 * name that resolves differently the second time (DNS rebinding) cannot pass. Returns the
 * arguments to connect with, or `blockedConnect` after arranging for the socket to fail.
 */
function guardConnect(
  socket: net.Socket,
  request: OutgoingRequest,
  args: unknown[],
): unknown[] | typeof blockedConnect {
  // net.connect passes its normalized arguments as an array; socket.connect(options) passes an object.
  const normalized = Array.isArray(args[0]) ? (args[0] as unknown[]) : undefined;
  const options = (normalized !== undefined ? normalized[0] : args[0]) as
    ConnectOptions | undefined;
  if (typeof options !== "object" || options === null) return args;
  if (typeof options.path === "string" && options.path !== "") return args;

  const host = typeof options.host === "string" && options.host !== "" ? options.host : "localhost";
  const port = portNumber(options.port);

  if (net.isIP(host) !== 0) {
    const blocked = inspectConnection(request, host, port, [host]);
    if (blocked === undefined) return args;

    // The socket fails the way a refused connection does, so each client reports it in its own style.
    process.nextTick(() => socket.destroy(blocked));
    return blockedConnect;
  }

  const lookup = (typeof options.lookup === "function" ? options.lookup : dns.lookup) as Lookup;
  const guarded = { ...options, lookup: judgingLookup(lookup, request, port) };
  if (normalized === undefined) return [guarded, ...args.slice(1)];

  normalized[0] = guarded;
  return args;
}

function wrapConnect(original: Connect): Connect {
  return function connect(this: net.Socket, ...args: unknown[]) {
    const request = owningRequest();
    if (request === undefined) return original.apply(this, args);

    const guarded = failOpen("ssrf.connect", args, () => guardConnect(this, request, args));
    if (guarded === blockedConnect) return this;
    return original.apply(this, guarded);
  };
}

/**
 * Judges every TCP socket that an HTTP client sink opens, at connect time. node:http, node:https,
 * fetch and undici all connect through `net.Socket.prototype.connect` (TLS sockets inherit it).
 */
export const netConnect: RuntimeInstrumentation = {
  name: "node:net",
  install() {
    wrapMethod(net.Socket.prototype as unknown as Record<string, unknown>, "connect", wrapConnect);
  },
};
