import type { EventEmitter } from "node:events";

import type { RequestContext } from "../context/request-context";
import { currentContext } from "../context/storage";
import { failOpen } from "../failsafe";
import type { ModuleInstrumentation } from "../instrument/module-hooks";
import { wrapMethod } from "../instrument/wrap";

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Adds a parsed XML document to the request's inputs under `xml` (`xml.order.item`). The raw XML
 * text is an input already when it came as the body, but the app builds its operations from the
 * element and attribute values, which occur in the text only escaped or split.
 */
function recordDocument(context: RequestContext | undefined, document: unknown): void {
  if (context === undefined || typeof document !== "object" || document === null) return;
  failOpen("source.xml", undefined, () => context.addInput("body", "xml", document));
}

function wrapXmlParserParse(original: Method): Method {
  return function parse(this: unknown, ...args: unknown[]) {
    const document = original.apply(this, args);
    recordDocument(currentContext(), document);
    return document;
  };
}

/**
 * xml2js reports the document through the parser's `end` event, which its callback and promise
 * forms listen to as well. The listener is put first so that the document is an input before
 * any of the app's listeners runs.
 */
function wrapParseString(original: Method): Method {
  return function parseString(this: unknown, ...args: unknown[]) {
    const context = currentContext();
    if (context !== undefined) {
      failOpen("source.xml", undefined, () =>
        (this as EventEmitter).prependOnceListener("end", (document: unknown) =>
          recordDocument(context, document),
        ),
      );
    }
    return original.apply(this, args);
  };
}

/** fast-xml-parser 4 and 5: documents returned by `XMLParser#parse` become inputs of the request. */
export const fastXmlParser: ModuleInstrumentation = {
  name: "fast-xml-parser",
  majorVersions: [4, 5],
  patch(moduleExports) {
    const parser = (moduleExports as { XMLParser?: { prototype?: Record<string, unknown> } })
      .XMLParser;
    if (parser?.prototype !== undefined) wrapMethod(parser.prototype, "parse", wrapXmlParserParse);
    return undefined;
  },
};

/**
 * xml2js 0.4 to 0.6: documents of `parseString`, `parseStringPromise` and `Parser#parseString`
 * become inputs of the request. A Parser binds `parseString` in its constructor, so parsers
 * created before the agent started keep the unwrapped method.
 */
export const xml2js: ModuleInstrumentation = {
  name: "xml2js",
  majorVersions: [0],
  patch(moduleExports) {
    const parser = (moduleExports as { Parser?: { prototype?: Record<string, unknown> } }).Parser;
    if (parser?.prototype !== undefined)
      wrapMethod(parser.prototype, "parseString", wrapParseString);
    return undefined;
  },
};
