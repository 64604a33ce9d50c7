import { performance } from "node:perf_hooks";
import type { IncomingHttpHeaders } from "node:http";

import type { InputSource, UserInput } from "../detectors/types";
import { agentState } from "../guard/agent-state";
import { installLoadedRuntimeHooks } from "../instrument/runtime-hooks";
import { resolveClientIp } from "../policy/client-ip";
import type { RequestFacts } from "../policy/compiled";
import type { RequestDraws } from "../policy/decision";
import { InputCollector } from "./input-collector";
import type { CapturedBody } from "./request-body";
import { collectUploadedFileNames, type UploadHolder } from "./uploaded-files";
import {
  buildQueryObject,
  collectParsedInputs,
  collectRawInputs,
  joinInputs,
  type ParsedParts,
  type StructuredInput,
} from "./request-inputs";
import { nodeCrypto } from "../builtins";

/** The request object of a framework that keeps parsed parts off the IncomingMessage (Fastify). */
export interface FrameworkRequest {
  readonly body?: unknown;
  readonly params?: unknown;
  readonly query?: unknown;
  readonly routeOptions?: { readonly url?: string };
  readonly routerPath?: string;
}

/** Express adds these to the IncomingMessage itself, multer adds `file` and `files`. */
interface ExpressRequestFields extends UploadHolder {
  body?: unknown;
  params?: unknown;
  query?: unknown;
  route?: { path?: unknown };
  baseUrl?: string;
}

/**
 * The request facts that the agent reads: a node:http IncomingMessage, an HTTP/2 compatibility
 * request (Http2ServerRequest), or the facts of a raw HTTP/2 stream.
 */
export interface RequestMessage {
  readonly url?: string | undefined;
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** `1.1` or `2.0`. */
  readonly httpVersion: string;
  readonly socket?: RequestSocket | null | undefined;
}

/** The fields of the connection's socket that the agent reads. */
export interface RequestSocket {
  readonly remoteAddress?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/**
 * The response the agent watches and, when it blocks, replaces: a node:http ServerResponse, an
 * Http2ServerResponse, or the adapter of a raw HTTP/2 stream (src/response/stream-response.ts).
 */
export interface ResponseMessage {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  once(event: "finish" | "close", listener: () => void): unknown;
  emit(event: "finish" | "close"): boolean;
  getHeaderNames(): string[];
  removeHeader(name: string): void;
  writeHead(status: number, headers?: Record<string, string | number>): unknown;
  write(...args: unknown[]): unknown;
  end(...args: unknown[]): unknown;
}

/** A part added to the request's inputs by a parser hook (GraphQL arguments, parsed XML). */
interface AddedInput {
  readonly source: InputSource;
  readonly path: string;
  readonly value: unknown;
}

/** Most parts a request may add; later ones are dropped with their values unseen. */
const maxAddedInputs = 256;

/**
 * The context is kept on the request object under a symbol: one property store per request,
 * where a WeakMap entry would cost an ephemeron that every garbage collection must trace.
 */
const contextKey = Symbol("rampart.context");

type RequestWithContext = { [contextKey]?: RequestContext };

/**
 * Returns the context created for this request (an IncomingMessage, an Http2ServerRequest or an
 * HTTP/2 stream), for code that runs outside the request's async context.
 */
export function contextOfRequest(req: object): RequestContext | undefined {
  return (req as RequestWithContext)[contextKey];
}

/** Makes `contextOfRequest(holder)` find the context, for other objects that stand for the request. */
export function linkContext(holder: object, context: RequestContext): void {
  (holder as RequestWithContext)[contextKey] = context;
}

/**
 * Collects the raw inputs (query, path, headers, cookies) of a request that did not arrive
 * through node:http, such as an AWS Lambda event, in place of reading them from the request.
 */
export type RawInputSource = (collector: InputCollector) => void;

/** A request id taken from the client must look like an id, so it cannot smuggle text into events. */
const requestIdPattern = /^[\w.:-]{1,128}$/;

/**
 * Per-request state of the agent: the request, its response and its inputs. Inputs are extracted lazily, the first time a
 * sink requests them, and the parsed part again only when the framework replaced the body or params object.
 */
export class RequestContext implements RequestFacts, RequestDraws {
  /** Replaced once by the HTTP/2 source, when the compatibility API wraps a stream that already has a context. */
  req: RequestMessage;
  res: ResponseMessage;
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
  /** The body bytes as the server received them, for apps that read the body stream themselves. */
  capturedBody: CapturedBody | undefined;
  /** The body and params in which the prototype pollution check found no polluting key. */
  cleanOfPollution: ParsedParts | undefined;

  private rawInputs: readonly UserInput[] | undefined;
  private parsedInputs: readonly UserInput[] = [];
  private parsedFrom: ParsedState | undefined;
  private addedInputs: AddedInput[] | undefined;
  private allInputs: readonly UserInput[] | undefined;
  private id: string | undefined;
  private structured: readonly StructuredInput[] | undefined;
  private ownQueryObject: Record<string, unknown> | undefined;
  private clientAddress: { value: string | undefined } | undefined;

  /** `performance.now()` when the request reached the server, in milliseconds. */
  readonly startedAt: number;

  constructor(
    req: RequestMessage,
    res: ResponseMessage,
    private readonly rawInputSource?: RawInputSource,
  ) {
    this.req = req;
    this.res = res;
    this.startedAt = performance.now();
    (req as RequestWithContext)[contextKey] = this;

    // Before the app's handler runs, so that a built-in it imported unseen is patched by now.
    installLoadedRuntimeHooks();
  }

  /**
   * Adds a value that a parser produced from the request (GraphQL arguments, a parsed XML
   * document) to the inputs, under `path`. Sinks called later in the request see it.
   */
  addInput(source: InputSource, path: string, value: unknown): void {
    this.addedInputs ??= [];
    if (this.addedInputs.length >= maxAddedInputs) return;
    this.addedInputs.push({ source, path, value });
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
      if (this.rawInputSource === undefined) collectRawInputs(this.req, collector);
      else this.rawInputSource(collector);
      this.rawInputs = collector.inputs;
    }

    // Compared field by field first, so that the common call (nothing changed) allocates nothing.
    const source = (this.frameworkRequest ?? this.req) as ExpressRequestFields;
    const upload = this.req as ExpressRequestFields;
    const body = this.currentBody(source);
    const from = this.parsedFrom;
    if (
      from === undefined ||
      from.body !== body ||
      from.params !== source.params ||
      from.file !== upload.file ||
      from.files !== upload.files ||
      from.added !== (this.addedInputs?.length ?? 0) ||
      from.capturedFiles !== this.capturedBody?.files()
    ) {
      this.parsedFrom = this.collectParsed(body, source.params, upload);
      this.allInputs = undefined;
    }

    // Parsed parts first: when a route param and a path segment carry the same value, the event
    // names the param.
    this.allInputs ??= joinInputs(this.parsedInputs, this.rawInputs);
    return this.allInputs;
  }

  /**
   * Collects the parsed inputs: the parts that parser hooks added come first, so that a GraphQL
   * argument is named by its field rather than by the body text it came in.
   */
  private collectParsed(body: unknown, params: unknown, upload: ExpressRequestFields): ParsedState {
    const added = this.addedInputs ?? [];
    const capturedFiles = this.capturedBody?.files();
    const nothingParsed =
      added.length === 0 &&
      isAbsentOrEmpty(body) &&
      isAbsentOrEmpty(params) &&
      upload.file === undefined &&
      upload.files === undefined &&
      capturedFiles === undefined;

    // Most GET requests: no collector (and its two sets) for parts that hold nothing.
    if (nothingParsed) {
      this.parsedInputs = [];
    } else {
      const collector = new InputCollector();
      for (const input of added) collector.addValue(input.source, input.path, input.value);
      collectParsedInputs({ body, params }, collector);
      collectUploadedFileNames(upload, capturedFiles, collector);
      this.parsedInputs = collector.inputs;
    }
    return {
      body,
      params,
      file: upload.file,
      files: upload.files,
      added: added.length,
      capturedFiles,
    };
  }

  /**
   * Returns the body that the framework parsed, else the body read from the captured bytes. An
   * empty object counts as unparsed when bytes were captured: body-parser sets `{}` on requests
   * whose content type it skipped, and the app may then read the stream itself.
   */
  private currentBody(source: ExpressRequestFields): unknown {
    const framework = source.body;
    const captured = this.capturedBody;
    if (captured === undefined) return framework;
    if (framework !== undefined && !isEmptyObject(framework)) return framework;
    return captured.value();
  }

  /** Route template (`/users/:id`) when the framework matched one. */
  route(): string | undefined {
    const framework = this.frameworkRequest;
    if (framework !== undefined) return framework.routeOptions?.url ?? framework.routerPath;

    const express = this.req as RequestMessage & ExpressRequestFields;
    const routePath = express.route?.path;
    if (typeof routePath === "string") return (express.baseUrl ?? "") + routePath;
    return undefined;
  }

  /** Returns the client's `x-request-id` when it looks like an id, else a generated UUID. */
  requestId(): string {
    if (this.id === undefined) {
      const header = this.req.headers["x-request-id"];
      this.id =
        typeof header === "string" && requestIdPattern.test(header)
          ? header
          : nodeCrypto().randomUUID();
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

  /** Returns the body (the framework's, else parsed from the captured bytes) and the route params. */
  parsedParts(): ParsedParts {
    const source = (this.frameworkRequest ?? this.req) as ExpressRequestFields;
    return { body: this.currentBody(source), params: source.params };
  }
}

/** The parts that the parsed inputs were collected from, to tell when they must be collected again. */
interface ParsedState extends ParsedParts {
  readonly file: unknown;
  readonly files: unknown;
  readonly added: number;
  readonly capturedFiles: unknown;
}

function isAbsentOrEmpty(value: unknown): boolean {
  return value === undefined || value === null || isEmptyObject(value);
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}
