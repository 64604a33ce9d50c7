import http, { type ServerResponse } from "node:http";

import { modeFor } from "../config";
import { contextOfRequest, type RequestContext } from "../context/request-context";
import { currentContext } from "../context/storage";
import {
  detectHeaderInjection,
  detectOpenRedirect,
  offsiteRedirectTarget,
} from "../detectors/headers";
import { detectXss, markupInputs, minInputLength } from "../detectors/html";
import type { Finding, UserInput } from "../detectors/types";
import { agentState } from "../guard/agent-state";
import { inspect, isInspecting } from "../guard/guard";
import { failOpen, reportInternalError } from "../failsafe";
import type { RuntimeInstrumentation } from "../instrument/runtime-hooks";
import { wrapMethod } from "../instrument/wrap";

/**
 * Hooks on node:http's ServerResponse, which Express, Fastify, Koa and plain servers all write
 * through: reflected XSS in HTML bodies (`write`, `end`), open redirects in `Location` headers
 * (`setHeader`, `appendHeader`, `writeHead`) and line breaks in 103 Early Hints headers.
 * NOTE: http2 compatibility responses (Http2ServerResponse) are not hooked.
 */

/** Outcome of a body inspection for the hooked call. */
type Verdict = "pass" | "blocked" | "late";

type AnyMethod = (this: ServerResponse, ...args: unknown[]) => unknown;

/** Bodies longer than this, in UTF-16 code units, are not inspected. */
const maxInspectedBodyLength = 16 * 1024 * 1024;

/** Characters of page kept on each side of the reflected input in the event's operation. */
const excerptMargin = 200;

interface ResponseState {
  /** Content-Type passed to `writeHead`, which Node does not always store where `getHeader` reads. */
  contentType?: string;
  /** For a response without Content-Type, whether its first chunk looked like HTML. */
  sniffedHtml?: boolean;
  /** A `writeHead` call held back until the first body chunk is judged (xss in block mode). */
  deferredWriteHead?: { args: unknown[]; context: RequestContext };
}

const responseStates = new WeakMap<ServerResponse, ResponseState>();

function stateOf(res: ServerResponse): ResponseState {
  let state = responseStates.get(res);
  if (state === undefined) {
    state = {};
    responseStates.set(res, state);
  }
  return state;
}

/**
 * Returns the context of this response's request, when nothing blocked it yet. A response whose
 * request was blocked is the agent's own 403 page (or is about to be replaced by it), so it is never
 * inspected. Node links each server response to its request (`res.req`), which is cheaper to read
 * than the async context and also finds a response written from a callback that lost it.
 */
function contextOf(res: ServerResponse): RequestContext | undefined {
  const req = (res as { req?: unknown }).req;
  const context =
    typeof req === "object" && req !== null ? contextOfRequest(req) : currentContext();
  if (context === undefined || context.res !== res || context.blockedEventId !== undefined)
    return undefined;
  return context;
}

function isBlocking(attackType: "xss" | "open_redirect" | "header_injection"): boolean {
  const state = agentState();
  return state !== undefined && modeFor(state.config, attackType) === "block";
}

function isHtmlContentType(value: string): boolean {
  return /^\s*(?:text\/html|application\/xhtml\+xml)\s*(?:;|$)/i.test(value);
}

/** True when the first character that is not whitespace is `<`, for a string or a byte chunk. */
function startsLikeHtml(chunk: unknown): boolean {
  const isText = typeof chunk === "string";
  if (!isText && !(chunk instanceof Uint8Array)) return false;

  const length = chunk.length;
  for (let index = 0; index < length; index++) {
    const code = isText ? chunk.charCodeAt(index) : (chunk as Uint8Array)[index];
    if (code === 0x3c) return true;
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d)
      return false;
  }
  return false;
}

/**
 * True when the body is HTML: Content-Type text/html or application/xhtml+xml, or no Content-Type
 * and a first chunk whose first non-space character is `<` (browsers sniff such a body as HTML).
 * Call it for every chunk, so that the first one is the one sniffed.
 */
function isHtmlResponse(res: ServerResponse, chunk: unknown): boolean {
  // Most responses declare their type with setHeader: no per-response state is created for them.
  const known = responseStates.get(res);
  const declared = known?.contentType ?? res.getHeader("content-type");
  if (declared !== undefined) return isHtmlContentType(String(declared));

  const state = known ?? stateOf(res);
  state.sniffedHtml ??= startsLikeHtml(chunk);
  return state.sniffedHtml;
}

/** Text encodings under which the string chunk is searched as is. */
const textEncodings: ReadonlySet<string> = new Set(["utf8", "utf-8", "latin1", "ascii", "binary"]);

/**
 * Returns a body chunk as text, or undefined when it is empty, not text, or contains no input that
 * can add markup: a Buffer is searched for each input before it is decoded.
 */
function chunkText(
  chunk: unknown,
  encoding: unknown,
  inputs: readonly UserInput[],
): string | undefined {
  if (typeof chunk === "string") {
    if (encoding === undefined || (typeof encoding === "string" && textEncodings.has(encoding)))
      return chunk;
    return chunkText(Buffer.from(chunk, encoding as BufferEncoding), undefined, inputs);
  }
  if (!(chunk instanceof Uint8Array) || chunk.length === 0) return undefined;

  const buffer = Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  const reflected = inputs.some(
    (input) => input.value.length >= minInputLength && buffer.includes(input.value),
  );
  return reflected ? buffer.toString("utf8") : undefined;
}

/**
 * False when a chunk contains no `<`. Each chunk is tokenized from the text state, so such a
 * chunk is text only and no input reflected in it can add markup. Its request's inputs then need
 * not be collected. Strings in a binary encoding (`base64`, `hex`) are judged after decoding.
 */
function mayHoldMarkup(chunk: unknown, encoding: unknown): boolean {
  if (typeof chunk === "string") {
    const text =
      encoding === undefined || (typeof encoding === "string" && textEncodings.has(encoding));
    return !text || chunk.includes("<");
  }
  return !(chunk instanceof Uint8Array) || chunk.includes(0x3c);
}

function encodingOf(args: readonly unknown[]): unknown {
  return typeof args[1] === "string" ? args[1] : undefined;
}

/** Cuts the page around the finding so the event shows the reflection in its context. */
function excerpt(text: string, finding: Finding): { operation: string; offset: number } {
  const inputLength = finding.input?.value.length ?? 0;
  const start = Math.max(0, finding.offset - excerptMargin);
  const end = Math.min(text.length, finding.offset + inputLength + excerptMargin);
  return { operation: text.slice(start, end), offset: finding.offset - start };
}

/**
 * Judges one body chunk (`write`) or the final chunk (`end`).
 * NOTE: each chunk is tokenized on its own from the text state, so an input split across chunks,
 * or a chunk that starts inside an attribute or a script, is judged without that context.
 */
function inspectBody(
  res: ServerResponse,
  sink: string,
  chunk: unknown,
  encoding: unknown,
): Verdict {
  if (!isInspecting("xss") || chunk === undefined || typeof chunk === "function") return "pass";
  const context = contextOf(res);
  if (context === undefined) return "pass";

  // The type check comes first: it is cheap, and a JSON route that reached no sink then never
  // extracts its inputs.
  if (!isHtmlResponse(res, chunk) || !mayHoldMarkup(chunk, encoding)) return "pass";
  // Only inputs that can add markup are searched for, so a page is neither searched nor decoded
  // for a request without one.
  const inputs = markupInputs(context.inputs());
  if (inputs.length === 0) return "pass";
  const text = chunkText(chunk, encoding, inputs);
  if (text === undefined || text.length > maxInspectedBodyLength) return "pass";

  const finding = detectXss(text, inputs);
  if (finding === undefined) return "pass";

  return reportXss(res, sink, text, finding);
}

function reportXss(res: ServerResponse, sink: string, text: string, finding: Finding): Verdict {
  const started = res.headersSent;
  const { operation, offset } = excerpt(text, finding);
  // The reason marks a finding made after the page could no longer be replaced, so a reader
  // knows the client got the bytes before this chunk.
  const late = started && isBlocking("xss");
  const reason = late ? `${finding.reason}:after-response-started` : finding.reason;

  const error = inspect({
    attackType: "xss",
    sink,
    operation,
    detect: () => ({ ...finding, offset, reason }),
  });
  if (error === undefined) return "pass";
  return started ? "late" : "blocked";
}

/**
 * True when `writeHead` should wait for the first body chunk: xss blocks, and the response belongs
 * to a request with inputs and may be HTML. Node stores the status line and headers at `writeHead`,
 * after which the block page can no longer replace them, so the call is replayed once the first
 * chunk passed. Fastify, for one, calls `writeHead` right before `end`.
 * NOTE: while the call is held back, `res.headersSent` is false and a `setHeader` that Node would
 * reject with ERR_HTTP_HEADERS_SENT succeeds.
 */
function shouldDeferWriteHead(
  res: ServerResponse,
  context: RequestContext,
  args: readonly unknown[],
): boolean {
  if (!isBlocking("xss") || res.headersSent || context.inputs().length === 0) return false;
  // A call that Node rejects runs at once, so its error is thrown where the app expects it.
  if (!nodeAcceptsWriteHead(args)) return false;

  const declared = stateOf(res).contentType ?? res.getHeader("content-type");
  return declared === undefined || isHtmlContentType(String(declared));
}

let originalWriteHead: AnyMethod | undefined;

/** Replays a held-back `writeHead`; drops it when the request was blocked meanwhile. */
function flushDeferredWriteHead(res: ServerResponse): void {
  const state = responseStates.get(res);
  const deferred = state?.deferredWriteHead;
  if (state === undefined || deferred === undefined) return;

  state.deferredWriteHead = undefined;
  if (deferred.context.blockedEventId === undefined) originalWriteHead?.apply(res, deferred.args);
}

/** Header entries of `writeHead`'s optional headers argument: an object, a flat array or an array of pairs. */
function headerEntries(headers: unknown): [string, unknown][] {
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0]))
      return (headers as unknown[][]).map((pair) => [String(pair[0]), pair[1]]);

    const entries: [string, unknown][] = [];
    for (let index = 0; index + 1 < headers.length; index += 2)
      entries.push([String(headers[index]), headers[index + 1]]);
    return entries;
  }
  if (headers !== null && typeof headers === "object") return Object.entries(headers);
  return [];
}

function headerValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return value === undefined || value === null ? [] : [String(value)];
}

/**
 * True when Node accepts the header. A header Node rejects (CR or LF in it) is left to Node's own
 * `ERR_INVALID_CHAR`, so the hook never reports it or hides that error.
 */
function nodeAccepts(name: string, value: string): boolean {
  try {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

/** True when `writeHead` with these arguments would not throw: valid status, reason and headers. */
function nodeAcceptsWriteHead(args: readonly unknown[]): boolean {
  const [status, reason] = args;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 999)
    return false;
  if (typeof reason === "string" && !nodeAccepts("x-status", reason)) return false;

  const headers = typeof reason === "string" ? args[2] : reason;
  return headerEntries(headers).every(([name, value]) =>
    headerValues(value).every((text) => nodeAccepts(name, text)),
  );
}

/** Judges the values of a `Location` header; returns whether the header must not be set. */
function inspectLocation(res: ServerResponse, sink: string, values: readonly string[]): boolean {
  if (!isInspecting("open_redirect")) return false;
  const context = contextOf(res);
  if (context === undefined) return false;

  const policy = {
    requestHost: context.req.headers.host,
    allowedHosts: agentState()?.config.redirectAllowHosts ?? [],
  };
  for (const location of values) {
    if (!nodeAccepts("location", location)) continue;
    // Most redirects stay on the app's own host: they need neither the inputs nor the detector.
    if (offsiteRedirectTarget(location, policy) === undefined) continue;

    const finding = detectOpenRedirect(location, policy, context.inputs());
    if (finding === undefined) continue;

    const error = inspect({
      attackType: "open_redirect",
      sink,
      operation: location,
      detect: () => finding,
    });
    if (error !== undefined) return true;
  }
  return false;
}

/** Judges every header `writeHead` got and records its Content-Type; returns whether to block. */
function inspectWriteHeadArguments(res: ServerResponse, args: readonly unknown[]): boolean {
  const headers = typeof args[1] === "string" ? args[2] : args[1];
  const entries = headerEntries(headers);

  for (const [name, value] of entries) {
    if (name.toLowerCase() === "content-type") stateOf(res).contentType = String(value);
  }
  for (const [name, value] of entries) {
    if (name.toLowerCase() !== "location") continue;

    if (inspectLocation(res, "http.ServerResponse.writeHead", headerValues(value))) return true;
  }
  return false;
}

/** Hands a blocked call to the block page that the guard armed on this response instance. */
function sendBlockPage(res: ServerResponse, method: "write" | "end" | "writeHead"): void {
  if (!Object.hasOwn(res, method)) {
    // The block page could not be armed (the response had started): end the connection.
    res.destroy();
    return;
  }
  (res[method] as () => unknown).call(res);
}

/** Depth of body writes in progress; Node's own `writeHead` call from `end` or `write` runs inside one. */
let bodyWriteDepth = 0;

function writeBody(res: ServerResponse, original: AnyMethod, args: unknown[]): unknown {
  bodyWriteDepth++;
  try {
    return original.apply(res, args);
  } finally {
    bodyWriteDepth--;
  }
}

function wrapBodyMethod(method: "write" | "end") {
  const sink = `http.ServerResponse.${method}`;
  const kind = `sink.${sink}`;
  return (original: AnyMethod): AnyMethod =>
    function bodyMethod(this: ServerResponse, ...args: unknown[]) {
      // A try block rather than failOpen, which would cost a closure on every response.
      let verdict: Verdict;
      try {
        verdict = inspectBody(this, sink, args[0], encodingOf(args));
      } catch (error) {
        reportInternalError(kind, error);
        verdict = "pass";
      }
      if (verdict === "pass") {
        flushDeferredWriteHead(this);
        return writeBody(this, original, args);
      }

      // A late finding: the client already has the first part of the page, so cut the response
      // off instead of sending the rest.
      if (verdict === "late") this.destroy();
      else sendBlockPage(this, method);
      return method === "write" ? false : this;
    };
}

type WriteHeadAction = "call" | "defer" | "block" | "replayed";

/**
 * Decides what a `writeHead` call does. A call made while an earlier one is held back (Node's
 * implicit `writeHead` from `flushHeaders`) replays the held-back one instead, unless the request
 * was blocked meanwhile: then the call is the block page's own.
 */
function judgeWriteHead(res: ServerResponse, args: unknown[]): WriteHeadAction {
  const state = responseStates.get(res);
  const deferred = state?.deferredWriteHead;
  if (state !== undefined && deferred !== undefined) {
    if (deferred.context.blockedEventId !== undefined) {
      state.deferredWriteHead = undefined;
      return "call";
    }
    flushDeferredWriteHead(res);
    return "replayed";
  }

  // Node's own call from a body write that passed (`end` without an earlier `writeHead`) brings no
  // headers to judge, so it needs neither the context nor holding back.
  if (bodyWriteDepth > 0 && args.length <= 1) return "call";

  const context = contextOf(res);
  if (context === undefined) return "call";
  if (inspectWriteHeadArguments(res, args)) return "block";
  // The implicit `writeHead` of a body write that already passed needs no holding back.
  if (bodyWriteDepth > 0 || !shouldDeferWriteHead(res, context, args)) return "call";

  stateOf(res).deferredWriteHead = { args, context };
  if (typeof args[0] === "number") res.statusCode = args[0];
  return "defer";
}

function wrapWriteHead(original: AnyMethod): AnyMethod {
  originalWriteHead = original;
  return function writeHead(this: ServerResponse, ...args: unknown[]) {
    let action: WriteHeadAction;
    try {
      action = judgeWriteHead(this, args);
    } catch (error) {
      reportInternalError("sink.http.ServerResponse.writeHead", error);
      action = "call";
    }
    if (action === "call") return original.apply(this, args);
    if (action === "block") sendBlockPage(this, "writeHead");
    return this;
  };
}

function wrapHeaderSetter(method: "setHeader" | "appendHeader") {
  const sink = `http.ServerResponse.${method}`;
  const kind = `sink.${sink}`;
  return (original: AnyMethod): AnyMethod =>
    function headerSetter(this: ServerResponse, ...args: unknown[]) {
      const name = args[0];
      // Length first: most headers are not eight characters long, so no closure or lower-casing.
      if (typeof name !== "string" || name.length !== 8) return original.apply(this, args);

      const blocked = failOpen(kind, false, () => {
        if (name.toLowerCase() !== "location") return false;
        return inspectLocation(this, sink, headerValues(args[1]));
      });
      // The block page that the guard armed replaces the response at its next write.
      if (blocked) return this;
      return original.apply(this, args);
    };
}

/**
 * Judges 103 Early Hints headers. Node 20 validates the `Link` value but writes the other hint
 * headers without checking for CR or LF, so an input there can add headers to the 103 response.
 */
function inspectEarlyHints(res: ServerResponse, hints: unknown): boolean {
  if (!isInspecting("header_injection") || hints === null || typeof hints !== "object")
    return false;
  const context = contextOf(res);
  if (context === undefined) return false;

  const inputs = context.inputs();
  for (const [name, value] of Object.entries(hints)) {
    for (const text of headerValues(value)) {
      const finding = detectHeaderInjection(name, text, inputs);
      if (finding === undefined) continue;

      const error = inspect({
        attackType: "header_injection",
        sink: "http.ServerResponse.writeEarlyHints",
        operation: `${name}: ${text}`,
        detect: () => finding,
      });
      if (error !== undefined) return true;
    }
  }
  return false;
}

function wrapWriteEarlyHints(original: AnyMethod): AnyMethod {
  return function writeEarlyHints(this: ServerResponse, ...args: unknown[]) {
    const blocked = failOpen("sink.http.ServerResponse.writeEarlyHints", false, () =>
      inspectEarlyHints(this, args[0]),
    );
    if (!blocked) return original.apply(this, args);

    // Hints are optional: skipping them changes nothing but the preload. Node calls the callback
    // once the hints are written, so call it as if they were.
    const callback = args.find((arg) => typeof arg === "function") as (() => void) | undefined;
    if (callback !== undefined) process.nextTick(callback);
    return undefined;
  };
}

/**
 * Patches ServerResponse.prototype. Header injection through `setHeader`, `appendHeader` and
 * `writeHead` needs no hook: Node (since 14.3) rejects CR and LF there with ERR_INVALID_CHAR.
 */
export const httpResponse: RuntimeInstrumentation = {
  name: "node:http ServerResponse",
  install() {
    const prototype = http.ServerResponse.prototype as unknown as Record<string, unknown>;
    wrapMethod(prototype, "write", wrapBodyMethod("write"));
    wrapMethod(prototype, "end", wrapBodyMethod("end"));
    wrapMethod(prototype, "writeHead", wrapWriteHead);
    wrapMethod(prototype, "setHeader", wrapHeaderSetter("setHeader"));
    wrapMethod(prototype, "appendHeader", wrapHeaderSetter("appendHeader"));
    wrapMethod(prototype, "writeEarlyHints", wrapWriteEarlyHints);
  },
};
