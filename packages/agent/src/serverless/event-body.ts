import { buildQueryObject } from "../context/request-inputs";

/** Media types whose bodies are not text, so they carry no input an app would put in an operation. */
const binaryTypes = /^(?:image|audio|video|font)\/|^application\/(?:octet-stream|pdf|zip|gzip)/;
const jsonTypes = /^application\/(?:[\w.+-]+\+)?json\b/;

/**
 * Parses a Lambda event's body the way a web framework's body parsers would: JSON and
 * form-urlencoded bodies become objects (forms nested as `qs` nests them), other text stays a
 * string, and binary media types give undefined. A JSON body that does not parse stays a string.
 */
export function parseEventBody(body: string | undefined, contentType: string | undefined): unknown {
  if (body === undefined || body === "") return undefined;

  const type = (contentType ?? "").trim().toLowerCase();
  if (binaryTypes.test(type)) return undefined;

  if (type.startsWith("application/x-www-form-urlencoded")) return buildQueryObject(`?${body}`);

  const looksLikeJson = type === "" && /^\s*[[{]/.test(body);
  if (jsonTypes.test(type) || looksLikeJson) {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  }
  return body;
}
