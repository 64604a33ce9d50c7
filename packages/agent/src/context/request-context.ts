import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";

import type { UserInput } from "../detectors/types";
import { agentState } from "../guard/agent-state";
import { resolveClientIp } from "../policy/client-ip";
import type { RequestFacts } from "../policy/compiled";
import type { RequestDraws } from "../policy/decision";
import { InputCollector } from "./input-collector";
import {
  buildQueryObject,
  collectParsedInputs,
  collectRawInputs,
  joinInputs,
  type ParsedParts,
  type StructuredInput,
} from "./request-inputs";

/** The request object of a framework that keeps parsed parts off the IncomingMessage (Fastify). */
export interface FrameworkRequest {
  readonly body?: unknown;
  readonly params?: unknown;
  readonly query?: unknown;
  readonly routeOptions?: { readonly url?: string };
  readonly routerPath?: string;
}

/** Express adds these to the IncomingMessage itself. */
interface ExpressRequestFields {
  body?: unknown;
  params?: unknown;
  query?: unknown;
  route?: { path?: unknown };
  baseUrl?: string;
}

/**
 * The context is kept on the request object under a symbol: one property store per request,
 * where a WeakMap entry would cost an ephemeron that every garbage collection must trace.
 */
const contextKey = Symbol("rampart.context");

type RequestWithContext = IncomingMessage & { [contextKey]?: RequestContext };

/** Returns the context created for this request, for code that runs outside the request's async context. */
export function contextOfRequest(req: IncomingMessage): RequestContext | undefined {
  return (req as RequestWithContext)[contextKey];
}

/** A request id taken from the client must look like an id, so it cannot smuggle text into events. */
const requestIdPattern = /^[\w.:-]{1,128}$/;

/**
 * Per-request state of the agent: the request, its response and its inputs. Inputs are extracted lazily, the first time a
 * sink requests them, and the parsed part again only when the framework replaced the body or params object.
 */
export class RequestContext implements RequestFacts, RequestDraws {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  frameworkRequest: FrameworkRequest | undefined;
  /** Event id of the first blocked operation of this request. */
  blockedEventId: string | undefined;
  /** Set once a detection was reported for this request, so that sampling no longer skips it. */
  flagged = false;
  /** Event id of each finding reported in this request, by attack type, sink, input path and action. */
  reportedFindings: Map<string, string> | undefined;
  /** Random draws in [0, 1) for policy sampling and the canary share, made at most once per request. */
  samplingDraw: number | undefined;
  canaryDraw: number | undefined;

  private rawInputs: readonly UserInput[] | undefined;
  private parsedInputs: readonly UserInput[] = [];
  private parsedFrom: ParsedParts | undefined;
  private allInputs: readonly UserInput[] | undefined;
  private id: string | undefined;
  private structured: readonly StructuredInput[] | undefined;
  private ownQueryObject: Record<string, unknown> | undefined;
  private clientAddress: { value: string | undefined } | undefined;

  /** `performance.now()` when the request reached the server, in milliseconds. */
  readonly startedAt: number;

  constructor(req: IncomingMessage, res: ServerResponse) {
    this.req = req;
    this.res = res;
    this.startedAt = performance.now();
    (req as RequestWithContext)[contextKey] = this;
  }

  /**
   * Returns the parsed query, body and params as objects, for detectors that judge the shape of
   * an input (an object where the app expected a string). The query is the framework's
   * (`req.query` of Express, `request.query` of Fastify) when it has one, else the query string
   * nested the way `qs` nests it. The list is rebuilt only when one of the parts changed.
   */
  structuredInputs(): readonly StructuredInput[] {
    const parts = this.parsedParts();
    const query = this.queryObject();
    const cached = this.structured;
    if (
      cached !== undefined &&
      cached[0]?.value === query &&
      cached[1]?.value === parts.body &&
      cached[2]?.value === parts.params
    ) {
      return cached;
    }

    this.structured = [
      { source: "query", path: "query", value: query },
      { source: "body", path: "body", value: parts.body },
      { source: "params", path: "params", value: parts.params },
    ];
    return this.structured;
  }

  /** Returns the request's inputs, extracting them once and again only after the body or params changed. */
  inputs(): readonly UserInput[] {
    if (this.rawInputs === undefined) {
      const collector = new InputCollector();
      collectRawInputs(this.req, collector);
      this.rawInputs = collector.inputs;
    }

    // Compared field by field first, so that the common call (nothing changed) allocates nothing.
    const source = (this.frameworkRequest ?? this.req) as ExpressRequestFields;
    const from = this.parsedFrom;
    if (from === undefined || from.body !== source.body || from.params !== source.params) {
      const parts = this.parsedParts();
      const collector = new InputCollector();
      collectParsedInputs(parts, collector);
      this.parsedInputs = collector.inputs;
      this.parsedFrom = parts;
      this.allInputs = undefined;
    }

    // Parsed parts first: when a route param and a path segment carry the same value, the event
    // names the param.
    this.allInputs ??= joinInputs(this.parsedInputs, this.rawInputs);
    return this.allInputs;
  }

  /** Route template (`/users/:id`) when the framework matched one. */
  route(): string | undefined {
    const framework = this.frameworkRequest;
    if (framework !== undefined) return framework.routeOptions?.url ?? framework.routerPath;

    const express = this.req as IncomingMessage & ExpressRequestFields;
    const routePath = express.route?.path;
    if (typeof routePath === "string") return (express.baseUrl ?? "") + routePath;
    return undefined;
  }

  /** Returns the client's `x-request-id` when it looks like an id, else a generated UUID. */
  requestId(): string {
    if (this.id === undefined) {
      const header = this.req.headers["x-request-id"];
      this.id = typeof header === "string" && requestIdPattern.test(header) ? header : randomUUID();
    }
    return this.id;
  }

  /** Route template when the framework matched one, else the URL path without the query. */
  routeOrPath(): string {
    return this.route() ?? (this.req.url ?? "/").split("?", 1)[0] ?? "/";
  }

  method(): string | undefined {
    return this.req.method;
  }

  /**
   * Address of the client: the peer socket's, or, when the peer is one of the policy's
   * `trustedProxies`, the nearest untrusted hop of X-Forwarded-For (or Forwarded). Without trusted
   * proxies, forwarding headers are ignored because any client can write them.
   */
  clientIp(): string | undefined {
    const peer = this.req.socket?.remoteAddress;
    const policy = agentState()?.policy;
    if (policy?.trustedProxies === undefined) return peer;

    this.clientAddress ??= {
      value: resolveClientIp(peer, this.req.headers, policy.trustedProxies, policy.clientIpHeader),
    };
    return this.clientAddress.value;
  }

  private queryObject(): unknown {
    const source = (this.frameworkRequest ?? this.req) as ExpressRequestFields;
    let query: unknown;
    try {
      // Express 5 computes `req.query` in a getter that parses the URL on each read.
      query = source.query;
    } catch {
      query = undefined;
    }
    if (typeof query === "object" && query !== null) return query;

    this.ownQueryObject ??= buildQueryObject(this.req.url ?? "/");
    return this.ownQueryObject;
  }

  private parsedParts(): ParsedParts {
    const source = (this.frameworkRequest ?? this.req) as ExpressRequestFields;
    return { body: source.body, params: source.params };
  }
}
