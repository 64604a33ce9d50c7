import type { AgentConfig } from "../config";
import type { RequestContext } from "../context/request-context";
import {
  AllowList,
  categoryOfLiteral,
  connectionCategory,
  isInternalCategory,
  judgeConnection,
  normalizeHost,
  type RequestTarget,
} from "../detectors/ssrf";
import type { RampartBlockedError } from "../errors";
import { currentContext, currentOutgoing, runWithOutgoing } from "../context/storage";
import { agentState } from "../guard/agent-state";
import { inspect, isInspecting } from "../guard/guard";

/** One outgoing HTTP request as a client sink saw it, carried to the sockets it opens. */
export interface OutgoingRequest {
  /** Sink that started the request, such as `http.request` or `undici.request`. */
  readonly sink: string;
  /** URL that the app requested first: for a redirect hop, the URL that began the chain. */
  readonly origin: RequestTarget;
  /** True for a hop that follows a redirect response to an earlier request. */
  readonly redirected: boolean;
  /**
   * Hosts already reported for this request. In monitor mode the request goes on, and the same
   * host is judged again when its socket connects; one event is enough.
   */
  readonly reportedHosts: Set<string>;
  /**
   * True when a cloud provider's SDK made the request to a metadata host named in its own code
   * (credential and region lookups). Only such a request may reach a metadata address, and only
   * when no input chose the host.
   */
  readonly fromCloudSdk: boolean;
}

/**
 * Package folders of the cloud SDKs that read credentials from the metadata service. A stack
 * frame in one of them means that the SDK, not the app, chose the metadata URL.
 */
const cloudSdkFrame =
  /[\\/]node_modules[\\/](@aws-sdk|@smithy|aws-sdk|gcp-metadata|google-auth-library|@google-cloud|@azure|@alicloud|@alicloud-sdk)[\\/]/;

/**
 * True when the origin names a metadata host and a cloud SDK is on the stack. The stack is only
 * captured for metadata hosts, so ordinary requests pay one host check.
 */
function isCloudSdkMetadataCall(origin: RequestTarget): boolean {
  const category = connectionCategory(origin.hostname, []);
  if (category !== "cloud-metadata") return false;

  // The SDK's frame sits below the client library's and the agent's own frames, deeper than the
  // default limit of 10.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  try {
    return cloudSdkFrame.test(new Error().stack ?? "");
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Creates the outgoing request of a client call. Call it on the app's stack, from the sink. */
export function createOutgoingRequest(
  sink: string,
  origin: RequestTarget,
  redirected = false,
): OutgoingRequest {
  return {
    sink,
    origin,
    redirected,
    reportedHosts: new Set(),
    fromCloudSdk: !redirected && isCloudSdkMetadataCall(origin),
  };
}

/**
 * Returns the outgoing request whose async work is running, for clients that open sockets after a
 * few promise hops (fetch, undici).
 */
export function currentOutgoingRequest(): OutgoingRequest | undefined {
  return currentOutgoing<OutgoingRequest>();
}

/** Runs a client call with its outgoing request stored for the sockets it opens. */
export function runOutgoing<Result>(request: OutgoingRequest, work: () => Result): Result {
  return runWithOutgoing(request, work);
}

const allowLists = new WeakMap<AgentConfig, AllowList>();

function currentAllowList(): AllowList {
  const config = agentState()?.config;
  if (config === undefined) return new AllowList([]);

  let allowList = allowLists.get(config);
  if (allowList === undefined) {
    allowList = new AllowList(config.ssrfAllowHosts ?? []);
    allowLists.set(config, allowList);
  }
  return allowList;
}

function describeConnection(
  request: OutgoingRequest,
  hostname: string,
  port: number | undefined,
  addresses: readonly string[],
): string {
  let operation = request.origin.text;
  const moved = request.redirected || normalizeHost(hostname) !== request.origin.hostname;
  if (moved) operation += ` -> ${hostname}${port === undefined ? "" : `:${port}`}`;

  const resolved = addresses.filter((address) => address !== hostname);
  if (resolved.length > 0) operation += ` (${resolved.join(", ")})`;
  return operation;
}

function isLoopbackText(address: string): boolean {
  return address === "::1" || /^(::ffff:)?127\./i.test(address) || address === "localhost";
}

/** True when the connection goes back to the socket that received the current incoming request. */
function isCallToSelf(
  request: OutgoingRequest,
  port: number | undefined,
  addresses: readonly string[],
): boolean {
  const socket = currentContext()?.req.socket;
  if (socket?.localPort === undefined) return false;

  const effectivePort = port ?? (request.origin.text.toLowerCase().startsWith("https:") ? 443 : 80);
  if (effectivePort !== socket.localPort) return false;

  const local = socket.localAddress?.replace(/^::ffff:/i, "");
  return addresses.every(
    (address) => isLoopbackText(address) || address.replace(/^::ffff:/i, "") === local,
  );
}

/**
 * Judges a connection of an outgoing request to `hostname`, which reaches `addresses` (the literal
 * itself, or what DNS returned). Returns the error to deliver when the connection must not open.
 * Public addresses return at once without calling the guard.
 */
export function inspectConnection(
  request: OutgoingRequest,
  hostname: string,
  port: number | undefined,
  addresses: readonly string[],
): RampartBlockedError | undefined {
  if (!isInspecting("ssrf")) return undefined;
  if (!isInternalCategory(connectionCategory(hostname, addresses))) return undefined;

  const host = normalizeHost(hostname);
  if (request.reportedHosts.has(host)) return undefined;

  const connection = {
    origin: request.origin,
    hostname: host,
    redirected: request.redirected || host !== request.origin.hostname,
    addresses,
    toSelf: isCallToSelf(request, port, addresses),
    fromCloudSdk: request.fromCloudSdk,
  };
  return inspect({
    attackType: "ssrf",
    sink: request.sink,
    operation: describeConnection(request, hostname, port, addresses),
    // Cloud-metadata connections are refused even without a request or an input.
    withoutInputs: true,
    detect: (inputs) => {
      const finding = judgeConnection(connection, inputs, currentAllowList());
      if (finding !== undefined) request.reportedHosts.add(host);
      return finding;
    },
  });
}

/** Names that recently resolved to internal addresses, for connections that reuse a pooled socket. */
const recentInternalNames = new Map<string, { addresses: readonly string[]; time: number }>();
const maxRecentNames = 512;
/** How long a resolution stays trusted for reused sockets: undici 7 keeps an idle socket at most 600 s by default. */
const recentNameTtlMs = 10 * 60_000;

/** Records what a host name resolved to at connect time. */
export function rememberResolution(hostname: string, addresses: readonly string[]): void {
  const name = normalizeHost(hostname);
  if (!isInternalCategory(connectionCategory(name, addresses))) {
    recentInternalNames.delete(name);
    return;
  }

  if (recentInternalNames.size >= maxRecentNames) {
    const oldest = recentInternalNames.keys().next().value;
    if (oldest !== undefined) recentInternalNames.delete(oldest);
  }
  recentInternalNames.delete(name);
  recentInternalNames.set(name, { addresses, time: Date.now() });
}

/**
 * Judges a request before anything is sent, with what is known without DNS: an IP literal, a name
 * that is internal by itself (`localhost`), or a name that recently resolved to an internal
 * address. The last case covers a request that reuses a keep-alive socket and so never connects.
 * Other names are judged when their socket connects.
 */
export function inspectBeforeSend(
  request: OutgoingRequest,
  hostname: string,
  port: number | undefined,
): RampartBlockedError | undefined {
  if (!isInspecting("ssrf")) return undefined;

  const host = normalizeHost(hostname);
  if (categoryOfLiteral(host) !== undefined) return inspectConnection(request, host, port, [host]);

  const recent = recentInternalNames.get(host);
  const fresh = recent !== undefined && Date.now() - recent.time < recentNameTtlMs;
  return inspectConnection(request, host, port, fresh ? recent.addresses : []);
}

/** Redirect locations returned to the outgoing requests of one incoming request, mapped to the chain's first URL. */
const redirectsByContext = new WeakMap<RequestContext, Map<string, RequestTarget>>();
const maxRedirectsPerContext = 64;

/** Records that a response to `origin`'s chain redirected to `location` (an absolute URL). */
export function rememberRedirect(
  context: RequestContext,
  location: string,
  origin: RequestTarget,
): void {
  let redirects = redirectsByContext.get(context);
  if (redirects === undefined) {
    redirects = new Map();
    redirectsByContext.set(context, redirects);
  }
  if (redirects.size < maxRedirectsPerContext) redirects.set(location, origin);
}

/** Returns the first URL of the redirect chain that `href` continues, if a redirect pointed there. */
export function redirectOrigin(context: RequestContext, href: string): RequestTarget | undefined {
  return redirectsByContext.get(context)?.get(href);
}

/** True when the incoming request has seen at least one redirect in an outgoing chain. */
export function hasRedirects(context: RequestContext): boolean {
  return (redirectsByContext.get(context)?.size ?? 0) > 0;
}
